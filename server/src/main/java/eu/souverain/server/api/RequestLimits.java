package eu.souverain.server.api;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Bounds on every request field whose size scales the work or the memory a request costs, checked
 * when the request is read (400 naming the field), so that no single request can hold a model's
 * thread, its memory or its queue for longer than an ordinary one. The body's byte limit bounds
 * the rest; the prompt's tokens are bounded by the model's context, and a JSON schema by the
 * answer's budget (see {@link eu.souverain.engine.sample.JsonSchema}).
 */
final class RequestLimits {

    /** Messages of one chat request: past what any context holds, and each renders and tokenizes. */
    static final int MAX_MESSAGES = 4096;
    /** Stop strings, each checked against every token's text (OpenAI allows 4). */
    static final int MAX_STOPS = 16;
    static final int MAX_STOP_CHARS = 256;
    /** Tools, whose definitions and schemas enter every prompt (OpenAI allows 128). */
    static final int MAX_TOOLS = 128;
    /** Metadata kept with a stored conversation, as OpenAI bounds it. */
    static final int MAX_METADATA_PAIRS = 16;
    static final int MAX_METADATA_KEY_CHARS = 64;
    static final int MAX_METADATA_VALUE_CHARS = 512;
    /** Inputs of one embeddings request (OpenAI allows 2,048). */
    static final int MAX_EMBEDDING_INPUTS = 2048;

    private RequestLimits() {}

    /** Throws 400 naming {@code field} when {@code array} holds more than {@code max} entries. */
    static void atMost(String field, JsonNode array, int max, String what) {
        if (array.size() > max) {
            throw ApiError.invalid(field, field + " holds " + array.size() + " " + what + "; at most " + max
                    + " are allowed");
        }
    }

    /** Throws 400 naming {@code field} when {@code text} is longer than {@code max} characters. */
    static void atMostChars(String field, String text, int max) {
        if (text.length() > max) {
            throw ApiError.invalid(field, field + " has " + text.length() + " characters; at most " + max
                    + " are allowed");
        }
    }
}

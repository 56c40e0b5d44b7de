package eu.souverain.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.backends.ChatRequest;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Reads a legacy completion request (OpenAI's /v1/completions): the fields its API documents,
 * with sampling read as the chat route reads it. One prompt per request: a string, or an array
 * holding one string. Without max_tokens, 16 tokens, as OpenAI's API documents. A suffix asks for
 * the text between the prompt and it, from a model with fill-in-the-middle tokens.
 */
final class CompletionRequests {

    static final int DEFAULT_MAX_TOKENS = 16;

    private static final Set<String> FIELDS = Set.of(
            "model", "prompt", "suffix", "max_tokens", "temperature", "top_p", "n", "stream", "stream_options", "stop",
            "seed", "presence_penalty", "frequency_penalty", "echo", "user", "logprobs", "best_of", "logit_bias",
            // llama.cpp and vLLM extensions
            "top_k", "min_p");

    /** A checked request: what to run, how to answer, and the prompt to echo (null: none). */
    record Call(ChatRequest request, boolean stream, boolean includeUsage, String echo) {}

    private CompletionRequests() {}

    /** {@code defaultModel} serves requests that name none; {@code randomSeed} seeds those that give none. */
    static Call parse(JsonNode body, String defaultModel, LongSupplier randomSeed) {
        if (!body.isObject()) {
            throw ApiError.schema("invalid_type", null, "the body must be a JSON object, got "
                    + ChatCompletionRequests.kind(body));
        }
        body.fieldNames().forEachRemaining(name -> {
            if (!FIELDS.contains(name)) {
                throw ApiError.schema("unknown_field", name, "unknown field '" + name
                        + "': OpenAI's completion API has no such field");
            }
        });
        String suffix = ChatCompletionRequests.string(body, "suffix");
        JsonNode logprobs = body.get("logprobs");
        if (logprobs != null && !logprobs.isNull()) {
            throw ApiError.unsupported("logprobs", "logprobs are not supported yet");
        }
        if (ChatCompletionRequests.integer(body, "best_of", 1) != 1) {
            throw ApiError.unsupported("best_of", "best_of other than 1 is not supported yet");
        }
        JsonNode bias = body.get("logit_bias");
        if (bias != null && !bias.isNull()) {
            if (!bias.isObject()) {
                throw ChatCompletionRequests.typeError("logit_bias", "an object", bias);
            }
            if (!bias.isEmpty()) {
                throw ApiError.unsupported("logit_bias", "logit_bias is not supported yet");
            }
        }
        ChatCompletionRequests.string(body, "user");
        boolean echo = ChatCompletionRequests.bool(body, "echo", false);

        String model = ChatCompletionRequests.string(body, "model");
        String prompt = prompt(body);
        ChatCompletionRequests.Settings settings = ChatCompletionRequests.settings(body, randomSeed);
        ChatRequest.Prompt text = suffix == null ? new ChatRequest.Text(prompt) : new ChatRequest.Fill(prompt, suffix);
        ChatRequest request = new ChatRequest(model != null ? model : defaultModel, text,
                settings.sampling(), settings.maxTokens(DEFAULT_MAX_TOKENS), settings.stops(), settings.choices());
        return new Call(request, settings.stream(), settings.includeUsage(), echo ? prompt : null);
    }

    static String prompt(JsonNode body) {
        JsonNode prompt = body.get("prompt");
        if (prompt == null || prompt.isNull()) {
            throw ApiError.schema("missing_field", "prompt", "'prompt' is required");
        }
        if (prompt.isTextual()) {
            return prompt.asText();
        }
        if (prompt.isArray() && !prompt.isEmpty() && prompt.get(0).isNumber()) {
            throw ApiError.unsupported("prompt", "prompts as token ids are not supported yet; send the text");
        }
        if (prompt.isArray() && prompt.size() == 1 && prompt.get(0).isTextual()) {
            return prompt.get(0).asText();
        }
        if (prompt.isArray() && prompt.size() > 1) {
            throw ApiError.unsupported("prompt", "one prompt per request: the array has " + prompt.size()
                    + " prompts, and only one is supported yet");
        }
        throw ChatCompletionRequests.typeError("prompt", "a string or an array of one string", prompt);
    }
}

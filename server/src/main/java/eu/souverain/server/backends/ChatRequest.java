package eu.souverain.server.backends;

import eu.souverain.engine.sample.JsonSchema;
import eu.souverain.engine.sample.SamplerConfig;
import java.util.List;
import java.util.Map;

/**
 * One generation as a backend runs it, already checked by the API: a chat conversation or a raw prompt.
 *
 * @param model the model's name, as {@link ModelInfo#id()}
 * @param prompt what the answers continue
 * @param sampling the sampling settings of choice 0; choice {@code i} samples with seed + i
 * @param maxTokens tokens each choice may generate; {@link Integer#MAX_VALUE} runs until the context is full
 * @param stops texts that end a choice, left out of its answer
 * @param choices how many independent answers to generate
 * @param format the JSON documents each answer must be (JSON mode, a JSON schema), or null for free text
 * @param tools the functions the model may call, or null for none
 */
public record ChatRequest(String model, Prompt prompt, SamplerConfig sampling, int maxTokens, List<String> stops,
                          int choices, JsonSchema format, Tools tools) {

    /** What the model continues. */
    public sealed interface Prompt permits Conversation, Text, Fill {}

    /**
     * A conversation, rendered by the model's chat template.
     *
     * @param messages role/content maps as chat templates read them; content is a string
     * @param assistantPrefix text each answer must start with (Mistral's prefix mode), or null;
     *        the answers include it
     * @param trimOldestTurns whether a conversation longer than the model's context leaves out its
     *        oldest turns (a stored conversation continued) rather than being refused
     */
    public record Conversation(List<Map<String, Object>> messages, String assistantPrefix, boolean trimOldestTurns)
            implements Prompt {
        public Conversation {
            messages = List.copyOf(messages);
        }

        /** A conversation refused whole when it does not fit. */
        public Conversation(List<Map<String, Object>> messages, String assistantPrefix) {
            this(messages, assistantPrefix, false);
        }
    }

    /** Plain text, continued as it is: no template, only the BOS the model file asks for. */
    public record Text(String text) implements Prompt {}

    /** Fill in the middle: what comes between {@code prefix} and {@code suffix}, for models trained to write it. */
    public record Fill(String prefix, String suffix) implements Prompt {}

    /**
     * Functions the model may call.
     *
     * @param definitions the wire "tools" entries ({@code {"type":"function","function":{name, description,
     *        parameters}}}), as chat templates read them
     * @param choice whether a call is up to the model ({@link ToolChoice.Auto}), required, or of one named function
     * @param parallel whether an answer may hold several calls
     */
    public record Tools(List<Map<String, Object>> definitions, ToolChoice choice, boolean parallel) {
        public Tools {
            definitions = List.copyOf(definitions);
            if (definitions.isEmpty()) {
                throw new IllegalArgumentException("tools must not be empty; pass null for none");
            }
        }
    }

    /** OpenAI's and Mistral's tool_choice, once "none" has dropped the tools. */
    public sealed interface ToolChoice {
        /** The model answers or calls, as it sees fit. */
        record Auto() implements ToolChoice {}

        /** The model must call one or more of the tools ("required", Mistral's "any"). */
        record Required() implements ToolChoice {}

        /** The model must call this function. */
        record Named(String name) implements ToolChoice {}
    }

    /** A request without constrained output or tools. */
    public ChatRequest(String model, Prompt prompt, SamplerConfig sampling, int maxTokens, List<String> stops,
                       int choices) {
        this(model, prompt, sampling, maxTokens, stops, choices, null, null);
    }

    public ChatRequest {
        stops = List.copyOf(stops);
        if (format != null && tools != null && !(tools.choice() instanceof ToolChoice.Auto)) {
            throw new IllegalArgumentException("a response format and a required tool call cannot both shape the answer");
        }
        if (maxTokens < 0) {
            throw new IllegalArgumentException("maxTokens must not be negative, was " + maxTokens);
        }
        if (choices < 1) {
            throw new IllegalArgumentException("choices must be at least 1, was " + choices);
        }
    }

    /** This request, answering in at most {@code maxTokens} tokens. */
    public ChatRequest withMaxTokens(int maxTokens) {
        return new ChatRequest(model, prompt, sampling, maxTokens, stops, choices, format, tools);
    }
}

package eu.souverain.server.gateway;

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
 */
public record ChatRequest(String model, Prompt prompt, SamplerConfig sampling, int maxTokens, List<String> stops,
                          int choices) {

    /** What the model continues. */
    public sealed interface Prompt permits Conversation, Text {}

    /**
     * A conversation, rendered by the model's chat template.
     *
     * @param messages role/content maps as chat templates read them; content is a string
     * @param assistantPrefix text each answer must start with (Mistral's prefix mode), or null;
     *        the answers include it
     */
    public record Conversation(List<Map<String, Object>> messages, String assistantPrefix) implements Prompt {
        public Conversation {
            messages = List.copyOf(messages);
        }
    }

    /** Plain text, continued as it is: no template, only the BOS the model file asks for. */
    public record Text(String text) implements Prompt {}

    public ChatRequest {
        stops = List.copyOf(stops);
        if (maxTokens < 0) {
            throw new IllegalArgumentException("maxTokens must not be negative, was " + maxTokens);
        }
        if (choices < 1) {
            throw new IllegalArgumentException("choices must be at least 1, was " + choices);
        }
    }
}

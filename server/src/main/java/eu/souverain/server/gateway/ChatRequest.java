package eu.souverain.server.gateway;

import eu.souverain.engine.sample.SamplerConfig;
import java.util.List;
import java.util.Map;

/**
 * One chat generation as a backend runs it, already checked by the API.
 *
 * @param model the model's name, as {@link ModelInfo#id()}
 * @param messages role/content maps as chat templates read them; content is a string
 * @param assistantPrefix text each answer must start with (Mistral's prefix mode), or null;
 *        the answers include it
 * @param sampling the sampling settings of choice 0; choice {@code i} samples with seed + i
 * @param maxTokens tokens each choice may generate; {@link Integer#MAX_VALUE} runs until the context is full
 * @param stops texts that end a choice, left out of its answer
 * @param choices how many independent answers to generate
 */
public record ChatRequest(String model, List<Map<String, Object>> messages, String assistantPrefix,
                          SamplerConfig sampling, int maxTokens, List<String> stops, int choices) {

    public ChatRequest {
        messages = List.copyOf(messages);
        stops = List.copyOf(stops);
        if (maxTokens < 0) {
            throw new IllegalArgumentException("maxTokens must not be negative, was " + maxTokens);
        }
        if (choices < 1) {
            throw new IllegalArgumentException("choices must be at least 1, was " + choices);
        }
    }
}

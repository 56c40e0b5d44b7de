package eu.souverain.server.backends;

import java.util.List;

/** Texts to embed with one model, each on its own from position 0. */
public record EmbeddingRequest(String model, List<String> inputs) {

    public EmbeddingRequest {
        inputs = List.copyOf(inputs);
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("give at least one text to embed");
        }
    }
}

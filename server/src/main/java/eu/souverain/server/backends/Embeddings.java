package eu.souverain.server.backends;

import java.util.List;

/** One unit-length vector per input, in order, and the tokens the inputs took together. */
public record Embeddings(List<float[]> vectors, int promptTokens) {}

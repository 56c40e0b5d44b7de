package eu.souverain.server.backends;

/**
 * A model a backend serves: the name requests ask for, when it was loaded (epoch seconds), its
 * context length, and its embedding length (the width of the vectors it embeds texts into).
 */
public record ModelInfo(String id, long created, int contextLength, int embeddingLength) {}

package eu.souverain.server.backends;

/**
 * What a finished generation used: the prompt is counted once for all choices, and
 * {@code cachedTokens} of it were reused from an earlier request instead of being computed.
 */
public record Completion(int promptTokens, int cachedTokens, int completionTokens) {}

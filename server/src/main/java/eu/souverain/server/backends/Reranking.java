package eu.souverain.server.backends;

import java.util.List;

/**
 * A reranker's answer: one relevance score per document, in the order the documents were sent
 * (higher is more relevant), and the tokens it reports having read (0 when it reports none).
 */
public record Reranking(List<Double> scores, int promptTokens) {
    public Reranking {
        scores = List.copyOf(scores);
    }
}

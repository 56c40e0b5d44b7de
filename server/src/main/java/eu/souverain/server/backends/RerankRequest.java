package eu.souverain.server.backends;

import java.time.Duration;
import java.util.List;

/**
 * Documents to score against a query by a rerank model.
 *
 * @param timeout how long the reranker may take: a search waits for it, so this is shorter than a generation's
 */
public record RerankRequest(String model, String query, List<String> documents, Duration timeout) {
    public RerankRequest {
        documents = List.copyOf(documents);
    }
}

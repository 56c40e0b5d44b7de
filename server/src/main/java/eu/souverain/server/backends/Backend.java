package eu.souverain.server.backends;

import java.time.Duration;
import java.util.List;

/**
 * What the API routes call to run models: the local engine, or a remote server speaking the
 * same protocol. Each declares where it runs, so that a request can be refused before it
 * reaches a place its organization does not allow. Implementations are thread-safe.
 */
public interface Backend extends AutoCloseable {

    /** Its name, as configuration, messages and audit entries give it; the engine in this process is "local". */
    String name();

    /** Where it runs. */
    BackendLocation location();

    /** Whether requests leave this process for another server. */
    boolean remote();

    /** The models it serves, in the order they were given. */
    List<ModelInfo> models();

    /** How busy {@code model} is now; throws {@link BackendException} when there is no such model. */
    ModelLoad load(String model);

    /**
     * Checks the request against the model it names (its prompt must fit the context, the model
     * must be able to follow its tools and response format) without queuing it; throws {@link
     * BackendException} when it cannot run.
     */
    PreparedRequest prepare(ChatRequest request);

    /**
     * Queues a request {@link #prepare} returned; throws {@link BackendException} when it cannot
     * (a full queue, a shutdown). Nothing has been sent to the client yet when this returns, so
     * every refusal can still be an HTTP status.
     */
    Generation start(PreparedRequest request);

    /**
     * Embeds each input (see {@link eu.souverain.engine.model.LlamaModel#embed}) and waits for the
     * vectors; throws {@link BackendException} when it cannot (an input longer than the context,
     * a shutdown).
     */
    Embeddings embed(PreparedEmbeddings request);

    /**
     * Checks each input against the model the request names (its length) without queuing it;
     * throws {@link BackendException} for inputs it cannot embed.
     */
    PreparedEmbeddings prepare(EmbeddingRequest request);

    /**
     * Scores each document's relevance to the query and waits for the scores; throws {@link
     * BackendException} when it cannot. Only a remote server with a rerank endpoint reranks: the
     * local engine serves no cross-encoder.
     */
    default Reranking rerank(RerankRequest request) {
        throw BackendException.invalid("model", "model '" + request.model() + "' of backend '" + name()
                + "' does not rerank; a reranker is a model of a remote backend with a rerank endpoint");
    }

    /**
     * Stops accepting requests, lets those already accepted finish for up to {@code grace},
     * then cuts off the rest (their {@link Generation#drain} throws).
     */
    void shutdown(Duration grace);

    /** Releases the models; call after {@link #shutdown}. */
    @Override
    void close();
}

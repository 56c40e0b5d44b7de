package eu.souverain.server.backends;

/**
 * An embeddings request its backend has checked against the model it names (each input within the
 * model's length, all of them within a request's), in the form the backend runs. Inputs it cannot
 * embed are refused here, before any limit counts the request or any queue holds it.
 */
public sealed interface PreparedEmbeddings
        permits ModelScheduler.Inputs, SentenceEmbeddingModel.Inputs, RemoteBackend.CheckedEmbeddings {

    EmbeddingRequest request();
}

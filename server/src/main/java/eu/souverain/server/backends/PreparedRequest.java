package eu.souverain.server.backends;

/**
 * A chat request its backend has checked against the model it names (the prompt fits the context,
 * the model can follow its tools and response format, it can fill in the middle), in the form the
 * backend starts. A request that cannot run is refused here, before any limit counts it or any
 * queue holds it.
 */
public sealed interface PreparedRequest permits ModelScheduler.Plan, RemoteBackend.Checked {

    ChatRequest request();

    /** The same request answering in at most {@code maxTokens} tokens (a budget's cut), not checked again. */
    PreparedRequest withMaxTokens(int maxTokens);
}

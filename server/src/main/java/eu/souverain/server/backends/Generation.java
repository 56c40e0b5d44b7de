package eu.souverain.server.backends;

import java.io.IOException;

/** A generation a backend has accepted: queued or running. */
public interface Generation {

    /**
     * Passes the output to {@code sink} as it is generated and returns once every choice is
     * complete. Throws the sink's IOException after cancelling the generation, and a
     * {@link BackendException} when the backend cut the generation off.
     */
    Completion drain(GenerationSink sink) throws IOException;
}

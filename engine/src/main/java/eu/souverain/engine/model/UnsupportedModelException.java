package eu.souverain.engine.model;

/** A well-formed GGUF file holding a model this engine cannot run; the message says which part. */
public final class UnsupportedModelException extends RuntimeException {
    public UnsupportedModelException(String message) {
        super(message);
    }
}

package eu.souverain.engine.gguf;

/** A GGUF file, or a metadata value asked of it, is not what it should be. */
public final class GGUFFormatException extends RuntimeException {
    public GGUFFormatException(String message) {
        super(message);
    }
}

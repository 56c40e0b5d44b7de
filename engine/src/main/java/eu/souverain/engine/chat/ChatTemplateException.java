package eu.souverain.engine.chat;

/** A chat template that cannot be parsed, that fails while rendering, or that calls raise_exception. */
public final class ChatTemplateException extends RuntimeException {
    public ChatTemplateException(String message) {
        super(message);
    }

    public ChatTemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}

package eu.souverain.server.store;

/**
 * A file of secret key material is unsafe (others may read it), unreadable or corrupt. The
 * message names the file and what is wrong; it never carries key material.
 */
public final class SecretFileException extends RuntimeException {

    public SecretFileException(String message) {
        super(message);
    }

    public SecretFileException(String message, Throwable cause) {
        super(message, cause);
    }
}

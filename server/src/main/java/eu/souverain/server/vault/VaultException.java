package eu.souverain.server.vault;

/**
 * Encryption at rest cannot do what was asked: a key file is unsafe or corrupt, the key provider
 * refused, a data key was destroyed, or a ciphertext does not belong where it was read from.
 * The message says which; it never carries key material or plaintext.
 */
public final class VaultException extends RuntimeException {

    public VaultException(String message) {
        super(message);
    }

    public VaultException(String message, Throwable cause) {
        super(message, cause);
    }
}

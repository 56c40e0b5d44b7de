package eu.souverain.server.store;

/** The database cannot be opened, migrated or reached: says which and why. */
public final class StoreException extends RuntimeException {

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}

package eu.souverain.server.catalogue;

/** The shop refused or failed a request, or could not be reached; the message never holds the key. */
public final class ShopException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;

    public ShopException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** The HTTP status, or 0 when no answer came. */
    public int status() {
        return status;
    }
}

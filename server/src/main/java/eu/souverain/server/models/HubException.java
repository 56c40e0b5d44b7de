package eu.souverain.server.models;

/** A pull that cannot go on; the message says why and what to do, in one line. */
public final class HubException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public HubException(String message) {
        super(message);
    }
}

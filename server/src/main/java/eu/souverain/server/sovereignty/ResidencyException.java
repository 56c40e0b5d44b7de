package eu.souverain.server.sovereignty;

/** A request would reach a backend its organization's residency policy does not allow; the message names the rule. */
public final class ResidencyException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ResidencyException(String message) {
        super(message);
    }
}

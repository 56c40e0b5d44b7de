package eu.souverain.server.documents;

/** A signed document link refused: changed in some part (or not made by this server), or past its time. */
public final class LinkRefused extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private final transient DocumentLinks.Link expired;

    LinkRefused(String message, DocumentLinks.Link expired) {
        super(message);
        this.expired = expired;
    }

    /** Whether the link is this server's and only its time is past. */
    public boolean expired() {
        return expired != null;
    }

    /** The expired link, whose parts its tag vouches for; null for a link that is not this server's. */
    DocumentLinks.Link link() {
        return expired;
    }
}

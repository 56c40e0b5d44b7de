package eu.souverain.server.sso;

/** A single sign-on that was refused, and audited; its message says why, without secrets. */
public final class SignInRefused extends RuntimeException {

    private static final long serialVersionUID = 1L;

    SignInRefused(String message) {
        super(message);
    }
}

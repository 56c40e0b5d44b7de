package eu.souverain.server.sso;

/** The OpenID provider cannot be reached or described itself wrongly: no sign-in through it now. */
public final class SignInUnavailable extends RuntimeException {

    private static final long serialVersionUID = 1L;

    SignInUnavailable(String message) {
        super(message);
    }
}

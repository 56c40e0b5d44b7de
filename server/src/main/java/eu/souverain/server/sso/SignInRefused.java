package eu.souverain.server.sso;

import java.util.Locale;

/**
 * A single sign-on that was refused, and audited; its message says why, without secrets, and its
 * reason says it in one word the sign-in page can explain (and that nobody can make it say more).
 */
public final class SignInRefused extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Why, for the person signing in: what happened, not the details, which the audit log keeps. */
    public enum Reason {
        /** The state is unknown, used, expired or from another browser: start again. */
        EXPIRED,
        /** The provider refused, failed or answered with an error. */
        PROVIDER,
        /** The ID token failed a check (signature, issuer, audience, expiry, nonce, at_hash, claims). */
        TOKEN,
        /** The person's claims map to no organization of this server. */
        ORGANIZATION,
        /** None of the person's groups gives a role. */
        ROLE,
        /** The account is disabled, or belongs to another organization. */
        ACCOUNT;

        /** As the sign-in page's address names it. */
        public String code() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Reason reason;

    SignInRefused(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}

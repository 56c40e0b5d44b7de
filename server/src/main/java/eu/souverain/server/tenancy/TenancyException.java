package eu.souverain.server.tenancy;

/** A tenancy operation refused: why, and which input it was about, for a clear 4xx. */
public final class TenancyException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** A value is wrong (400). */
        INVALID,
        /** No such resource in the caller's organization, whether it exists elsewhere or not (404). */
        NOT_FOUND,
        /** The change would clash with what exists: a taken name, the last owner (409). */
        CONFLICT,
        /** The caller may not do this (403). */
        FORBIDDEN,
        /** No valid credentials: missing, wrong, expired or revoked (401). */
        UNAUTHENTICATED,
        /** Too many failed sign-ins; try again after {@link #retryAfterSeconds()} (429). */
        TOO_MANY_ATTEMPTS
    }

    private final Reason reason;
    private final String param;
    private final long retryAfterSeconds;

    private TenancyException(Reason reason, String param, String message, long retryAfterSeconds) {
        super(message);
        this.reason = reason;
        this.param = param;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    private TenancyException(Reason reason, String param, String message) {
        this(reason, param, message, 0);
    }

    public static TenancyException invalid(String param, String message) {
        return new TenancyException(Reason.INVALID, param, message);
    }

    public static TenancyException notFound(String kind, String id) {
        return new TenancyException(Reason.NOT_FOUND, null, "no " + kind + " '" + id + "'");
    }

    public static TenancyException conflict(String param, String message) {
        return new TenancyException(Reason.CONFLICT, param, message);
    }

    public static TenancyException forbidden(String message) {
        return new TenancyException(Reason.FORBIDDEN, null, message);
    }

    public static TenancyException unauthenticated(String message) {
        return new TenancyException(Reason.UNAUTHENTICATED, null, message);
    }

    public static TenancyException tooManyAttempts(long retryAfterSeconds) {
        return new TenancyException(Reason.TOO_MANY_ATTEMPTS, null, "too many failed sign-ins; try again in "
                + retryAfterSeconds + " s", retryAfterSeconds);
    }

    public Reason reason() {
        return reason;
    }

    /** The request field the refusal is about, or null. */
    public String param() {
        return param;
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}

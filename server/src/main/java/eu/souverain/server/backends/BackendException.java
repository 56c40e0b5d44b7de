package eu.souverain.server.backends;

/** A request a backend cannot serve, with the reason the API turns into a status code. */
public final class BackendException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** No model of that name. */
        MODEL_NOT_FOUND,
        /** The request cannot run on this model (its template refuses it, an input is too long). */
        INVALID_REQUEST,
        /** The prompt does not fit the model's context, the answer's room included. */
        CONTEXT_EXCEEDED,
        /** Every place in the queue is taken; try again shortly. */
        BUSY,
        /** Not serving now: still loading, or shutting down. */
        UNAVAILABLE,
        /** A remote backend cannot be reached, or answered with an error or something unreadable. */
        BAD_GATEWAY,
        /** A remote backend did not answer in time. */
        GATEWAY_TIMEOUT
    }

    private final Reason reason;
    private final int queueCapacity;
    private final String param;

    private BackendException(Reason reason, String message, int queueCapacity) {
        this(reason, message, queueCapacity, null);
    }

    private BackendException(Reason reason, String message, int queueCapacity, String param) {
        super(message);
        this.reason = reason;
        this.queueCapacity = queueCapacity;
        this.param = param;
    }

    public static BackendException modelNotFound(String model) {
        return new BackendException(Reason.MODEL_NOT_FOUND, "the model '" + model + "' does not exist", 0);
    }

    public static BackendException invalid(String message) {
        return new BackendException(Reason.INVALID_REQUEST, message, 0);
    }

    /** An invalid request whose fault lies in the request field {@code param}. */
    public static BackendException invalid(String param, String message) {
        return new BackendException(Reason.INVALID_REQUEST, message, 0, param);
    }

    public static BackendException contextExceeded(String message) {
        return new BackendException(Reason.CONTEXT_EXCEEDED, message, 0, "messages");
    }

    public static BackendException busy(String model, int queueCapacity) {
        return new BackendException(Reason.BUSY, "the model '" + model + "' has " + queueCapacity
                + " requests waiting already; try again shortly", queueCapacity);
    }

    /** A remote backend is busy: its own limit, which this server does not know. */
    public static BackendException busy(String message) {
        return new BackendException(Reason.BUSY, message, 0);
    }

    public static BackendException unavailable(String message) {
        return new BackendException(Reason.UNAVAILABLE, message, 0);
    }

    public static BackendException badGateway(String message) {
        return new BackendException(Reason.BAD_GATEWAY, message, 0);
    }

    public static BackendException gatewayTimeout(String message) {
        return new BackendException(Reason.GATEWAY_TIMEOUT, message, 0);
    }

    public Reason reason() {
        return reason;
    }

    /** The request field at fault, or null when it is the messages (or not one field). */
    public String param() {
        return param;
    }

    /** For {@link Reason#BUSY}: how many requests may wait per model, or 0 when that is a remote's secret. */
    public int queueCapacity() {
        return queueCapacity;
    }
}

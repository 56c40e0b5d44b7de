package eu.souverain.server.batch;

import java.util.Map;

/**
 * A line refused or failed: the HTTP status and error body the same request would have got,
 * and, for a refusal that passes (a rate limit, a full queue), after how many seconds to try it
 * again instead of failing it (0: it failed for good).
 */
public final class LineFailure extends Exception {

    private final int status;
    private final String code;
    private final Map<String, Object> body;
    private final long retryAfterSeconds;

    public LineFailure(int status, String code, String message, Map<String, Object> body, long retryAfterSeconds) {
        super(message);
        this.status = status;
        this.code = code;
        this.body = body;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public Map<String, Object> body() {
        return body;
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}

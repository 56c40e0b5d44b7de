package eu.souverain.server.limits;

import java.util.Map;

/** A call refused by a limit: which subject's, which limit, and when to try again. */
public final class LimitExceeded extends RuntimeException {

    private final Subject subject;
    private final String limit;
    private final long retryAfterSeconds;
    private final Map<String, String> headers;

    LimitExceeded(Subject subject, String limit, long value, long retryAfterSeconds, Map<String, String> headers) {
        super(subject.kind().column() + " " + subject.id() + " reached its " + limit + " limit of " + value
                + "; try again in " + retryAfterSeconds + " s");
        this.subject = subject;
        this.limit = limit;
        this.retryAfterSeconds = retryAfterSeconds;
        this.headers = Map.copyOf(headers);
    }

    public Subject subject() {
        return subject;
    }

    /** The limit's name as the API spells it: requests_per_minute, tokens_per_day, ... */
    public String limit() {
        return limit;
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** The x-ratelimit-* headers at the refusal. */
    public Map<String, String> headers() {
        return headers;
    }
}

package eu.souverain.server.limits;

import eu.souverain.server.store.Database;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Handle;

/**
 * Lets a model call in, or refuses it, against the limits of every subject it acts for (its
 * organization, then its user or key), before the model runs: the owner of table
 * {@code limit_counters}.
 *
 * <p>Counters live in the database, one row per subject, window and measure, so that counting
 * survives a restart and every server process on the same PostgreSQL shares it. A request is
 * counted by one conditional update ({@code used + n <= limit}), which the database applies
 * atomically: of 50 concurrent requests against a limit of 10 a minute exactly 10 get in, in
 * one process or several. A refusal rolls back what the same admission had already counted.
 *
 * <p>Windows are fixed: the minute, the UTC day and the UTC month. A budget counts from when it
 * is set: counters are kept only for subjects that have limits.
 */
public final class Admission {

    private final Database database;

    public Admission(Database database) {
        this.database = database;
    }

    /** What a granted call may spend and what its answer tells the client. */
    public record Granted(long tokensLeft, Map<String, String> headers, List<String> warnings) {
        public static final Granted UNLIMITED = new Granted(Long.MAX_VALUE, Map.of(), List.of());
    }

    /**
     * Counts one request for {@code subjects} at {@code now}, or refuses it, counting nothing,
     * with the first limit it would pass or that is spent already. Its tokens are counted as
     * they are spent ({@link #charge}): the prompt's once read, the answer's as it goes.
     */
    public Granted admit(String organizationId, List<Subject> subjects, Instant now) {
        // Most callers have no limits: a plain read, so that they never queue for the write lock.
        if (database.jdbi().withHandle(h -> LimitSettings.of(h, organizationId, subjects)).isEmpty()) {
            return Granted.UNLIMITED;
        }
        return database.inTransaction(h -> {
            Map<Subject, Limits> limits = LimitSettings.of(h, organizationId, subjects);
            if (limits.isEmpty()) {
                return Granted.UNLIMITED;
            }
            Windows windows = new Windows(now);
            Tightest requests = new Tightest();
            Tightest tokens = new Tightest();
            List<String> warnings = new ArrayList<>();
            long tokensLeft = Long.MAX_VALUE;
            for (Map.Entry<Subject, Limits> entry : limits.entrySet()) {
                Subject subject = entry.getKey();
                Limits limit = entry.getValue();
                if (limit.requestsPerMinute() != null) {
                    long used = add(h, subject, windows.minute, windows.minuteEnds, "requests", 1,
                            limit.requestsPerMinute(), now.toEpochMilli());
                    requests.offer(limit.requestsPerMinute(), used < 0 ? limit.requestsPerMinute() : used,
                            windows.minuteEnds);
                    if (used < 0) {
                        throw refused(subject, "requests_per_minute", limit.requestsPerMinute(), windows.minuteEnds, now,
                                requests, tokens);
                    }
                }
                if (limit.tokensPerMinute() != null) {
                    long used = used(h, subject, windows.minute, "tokens");
                    tokens.offer(limit.tokensPerMinute(), used, windows.minuteEnds);
                    if (used >= limit.tokensPerMinute()) {
                        throw refused(subject, "tokens_per_minute", limit.tokensPerMinute(), windows.minuteEnds, now,
                                requests.uncounted(), tokens);
                    }
                }
                tokensLeft = Math.min(tokensLeft, budget(h, subject, "tokens_per_day", limit.tokensPerDay(), windows.day,
                        windows.dayEnds, limit.softPercent(), now, warnings, requests, tokens));
                tokensLeft = Math.min(tokensLeft, budget(h, subject, "tokens_per_month", limit.tokensPerMonth(),
                        windows.month, windows.monthEnds, limit.softPercent(), now, warnings, requests, tokens));
            }
            Map<String, String> headers = new LinkedHashMap<>();
            requests.headers("requests", now, headers);
            tokens.headers("tokens", now, headers);
            return new Granted(tokensLeft, headers, warnings);
        });
    }

    /** Adds tokens a running or finished answer spent to its subjects' token counters. */
    public void charge(String organizationId, List<Subject> subjects, long tokens, Instant now) {
        if (tokens <= 0 || database.jdbi().withHandle(h -> LimitSettings.of(h, organizationId, subjects)).isEmpty()) {
            return;
        }
        database.inTransaction(h -> {
            Windows windows = new Windows(now);
            for (Map.Entry<Subject, Limits> entry : LimitSettings.of(h, organizationId, subjects).entrySet()) {
                Limits limit = entry.getValue();
                if (limit.tokensPerMinute() != null) {
                    add(h, entry.getKey(), windows.minute, windows.minuteEnds, "tokens", tokens, null, now.toEpochMilli());
                }
                if (limit.tokensPerDay() != null) {
                    add(h, entry.getKey(), windows.day, windows.dayEnds, "tokens", tokens, null, now.toEpochMilli());
                }
                if (limit.tokensPerMonth() != null) {
                    add(h, entry.getKey(), windows.month, windows.monthEnds, "tokens", tokens, null, now.toEpochMilli());
                }
            }
            return null;
        });
    }

    /**
     * Checks a budget before the call: the tokens the call may still spend under it (MAX_VALUE
     * when there is none), with a warning past its soft threshold.
     */
    private static long budget(Handle h, Subject subject, String name, Long budget, String window, long windowEnds,
                               int softPercent, Instant now, List<String> warnings, Tightest requests, Tightest tokens) {
        if (budget == null) {
            return Long.MAX_VALUE;
        }
        long used = used(h, subject, window, "tokens");
        if (used >= budget) {
            throw refused(subject, name, budget, windowEnds, now, requests.uncounted(), tokens);
        }
        if (used * 100 >= budget * softPercent) {
            warnings.add(subject.kind().column() + " " + subject.id() + " has used " + used + " of its " + name
                    + " budget of " + budget);
        }
        return budget - used;
    }

    /**
     * Adds {@code n} to a counter unless that would pass {@code limit} (null: no limit): the new
     * total, or -1 when refused. The row of a new window is created first, and the subject's
     * ended windows go then, once a window.
     */
    private static long add(Handle h, Subject subject, String window, long expiresAt, String measure, long n, Long limit,
                            long now) {
        int created = h.createUpdate("""
                        INSERT INTO limit_counters (subject, window_key, measure, used, expires_at)
                        VALUES (:subject, :window, :measure, 0, :expires)
                        ON CONFLICT (subject, window_key, measure) DO NOTHING""")
                .bind("subject", subject.counterKey()).bind("window", window).bind("measure", measure)
                .bind("expires", expiresAt).execute();
        if (created > 0) {
            h.createUpdate("DELETE FROM limit_counters WHERE subject = :subject AND expires_at < :now")
                    .bind("subject", subject.counterKey()).bind("now", now).execute();
        }
        var update = h.createUpdate("UPDATE limit_counters SET used = used + :n"
                        + " WHERE subject = :subject AND window_key = :window AND measure = :measure"
                        + (limit == null ? "" : " AND used + :n <= :limit"))
                .bind("n", n).bind("subject", subject.counterKey()).bind("window", window).bind("measure", measure);
        if (limit != null) {
            update.bind("limit", limit.longValue());
        }
        int updated = update.execute();
        return updated == 0 ? -1 : used(h, subject, window, measure);
    }

    private static long used(Handle h, Subject subject, String window, String measure) {
        return h.createQuery("""
                        SELECT used FROM limit_counters WHERE subject = :subject AND window_key = :window AND measure = :measure""")
                .bind("subject", subject.counterKey()).bind("window", window).bind("measure", measure)
                .mapTo(Long.class).findOne().orElse(0L);
    }

    /** The refusal, thrown out of the admission's transaction, which rolls back what it had counted. */
    private static LimitExceeded refused(Subject subject, String limit, long value, long resetsAt, Instant now,
                                         Tightest requests, Tightest tokens) {
        Map<String, String> headers = new LinkedHashMap<>();
        requests.headers("requests", now, headers);
        tokens.headers("tokens", now, headers);
        long retryAfter = Math.max(1, (resetsAt - now.toEpochMilli() + 999) / 1000);
        return new LimitExceeded(subject, limit, value, retryAfter, headers);
    }

    /** The window keys and their ends (epoch milliseconds) at one instant. */
    private static final class Windows {
        final String minute;
        final long minuteEnds;
        final String day;
        final long dayEnds;
        final String month;
        final long monthEnds;

        Windows(Instant now) {
            long epochMinute = Math.floorDiv(now.toEpochMilli(), 60_000L);
            minute = "m" + epochMinute;
            minuteEnds = (epochMinute + 1) * 60_000L;
            LocalDate date = LocalDate.ofInstant(now, ZoneOffset.UTC);
            day = "d" + date;
            dayEnds = date.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
            YearMonth yearMonth = YearMonth.from(date);
            month = "M" + yearMonth;
            monthEnds = yearMonth.plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        }
    }

    /** Of one measure's limits, the one with the least left: what OpenAI's x-ratelimit-* headers report. */
    private static final class Tightest {
        long limit = -1;
        long remaining = Long.MAX_VALUE;
        long resetsAt;

        void offer(long limit, long used, long resetsAt) {
            long left = Math.max(0, limit - used);
            if (left < remaining) {
                this.limit = limit;
                this.remaining = left;
                this.resetsAt = resetsAt;
            }
        }

        /** As it stands once this admission's request, counted already, is rolled back. */
        Tightest uncounted() {
            if (limit >= 0) {
                remaining = Math.min(limit, remaining + 1);
            }
            return this;
        }

        void headers(String measure, Instant now, Map<String, String> headers) {
            if (limit < 0) {
                return;
            }
            headers.put("x-ratelimit-limit-" + measure, Long.toString(limit));
            headers.put("x-ratelimit-remaining-" + measure, Long.toString(remaining));
            headers.put("x-ratelimit-reset-" + measure, Math.max(0, resetsAt - now.toEpochMilli()) / 1000.0 + "s");
        }
    }
}

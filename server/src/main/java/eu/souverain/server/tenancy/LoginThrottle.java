package eu.souverain.server.tenancy;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Failed sign-ins per account and per client address in a sliding window: past the limit, further
 * attempts are refused until the oldest failure leaves the window, even with the right password,
 * so that guessing costs an attacker the window's length per few guesses. Kept in memory: each
 * node counts the attempts it sees.
 */
final class LoginThrottle {

    static final Duration WINDOW = Duration.ofMinutes(15);
    static final int FAILURES_PER_ACCOUNT = 5;
    /** Higher than per account: several people may sign in from behind one address. */
    static final int FAILURES_PER_ADDRESS = 20;

    private final Clock clock;
    private final Map<String, Deque<Long>> failures = new ConcurrentHashMap<>();

    LoginThrottle(Clock clock) {
        this.clock = clock;
    }

    /** Seconds until {@code email} from {@code address} may try again, or 0 when it may now. */
    long retryAfterSeconds(String email, String address) {
        long now = clock.millis();
        long wait = Math.max(wait("account:" + email, FAILURES_PER_ACCOUNT, now),
                wait("address:" + address, FAILURES_PER_ADDRESS, now));
        return wait == 0 ? 0 : Math.max(1, (wait + 999) / 1000);
    }

    void failed(String email, String address) {
        long now = clock.millis();
        record("account:" + email, now);
        record("address:" + address, now);
    }

    /** A successful sign-in clears its account's failures; its address's stay. */
    void succeeded(String email) {
        failures.remove("account:" + email);
    }

    private long wait(String key, int limit, long now) {
        Deque<Long> times = failures.get(key);
        if (times == null) {
            return 0;
        }
        synchronized (times) {
            expire(times, now);
            return times.size() < limit ? 0 : times.peekFirst() + WINDOW.toMillis() - now;
        }
    }

    private void record(String key, long now) {
        Deque<Long> times = failures.computeIfAbsent(key, k -> new ArrayDeque<>());
        synchronized (times) {
            expire(times, now);
            times.addLast(now);
        }
        if (failures.size() > 10_000) {
            // Forget the keys whose failures have all left the window, so that sprayed names cannot fill memory.
            failures.entrySet().removeIf(e -> {
                synchronized (e.getValue()) {
                    expire(e.getValue(), now);
                    return e.getValue().isEmpty();
                }
            });
        }
    }

    private static void expire(Deque<Long> times, long now) {
        while (!times.isEmpty() && times.peekFirst() <= now - WINDOW.toMillis()) {
            times.removeFirst();
        }
    }
}

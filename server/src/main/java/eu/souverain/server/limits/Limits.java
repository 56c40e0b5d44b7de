package eu.souverain.server.limits;

/**
 * The limits of one subject; a null field sets no limit of its kind. Budgets count prompt and
 * completion tokens; at {@code softPercent} of a budget answers carry a warning, at the budget
 * itself requests are refused and running answers stop.
 */
public record Limits(Long requestsPerMinute, Long tokensPerMinute, Long tokensPerDay, Long tokensPerMonth,
                     int softPercent) {

    public static final int DEFAULT_SOFT_PERCENT = 80;

    public Limits {
        positive(requestsPerMinute, "requests_per_minute");
        positive(tokensPerMinute, "tokens_per_minute");
        positive(tokensPerDay, "tokens_per_day");
        positive(tokensPerMonth, "tokens_per_month");
        if (softPercent < 1 || softPercent > 100) {
            throw new IllegalArgumentException("soft_percent must be in [1, 100], was " + softPercent);
        }
    }

    private static void positive(Long value, String name) {
        if (value != null && value < 1) {
            throw new IllegalArgumentException(name + " must be at least 1 (or null for no limit), was " + value);
        }
    }
}

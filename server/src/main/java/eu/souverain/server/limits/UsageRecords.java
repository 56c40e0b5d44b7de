package eu.souverain.server.limits;

import eu.souverain.server.store.Database;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Every model call's usage, and its totals by day or month: the owner of table {@code usage_records}. */
public final class UsageRecords {

    /** What totals can be grouped by, and the column each reads. */
    public enum GroupBy {
        USER("COALESCE(user_id, key_id)"), KEY("key_id"), GROUP("group_id"), MODEL("model"), BACKEND("backend"),
        ENDPOINT("endpoint"), OUTCOME("outcome");

        final String column;

        GroupBy(String column) {
            this.column = column;
        }

        public static GroupBy of(String name) {
            try {
                return valueOf(name.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("group_by '" + name + "' is not one of user, key, group, model,"
                        + " backend, endpoint, outcome");
            }
        }
    }

    public enum Period { DAY, MONTH }

    /**
     * The totals of one period (2026-12-06 or 2026-12) and one group (null when not grouped);
     * {@code energyWh} sums the estimates of the calls that have one, null when none has.
     */
    public record Total(String period, String group, long requests, long promptTokens, long cachedTokens,
                        long completionTokens, Double energyWh) {}

    private final Database database;

    public UsageRecords(Database database) {
        this.database = database;
    }

    public void record(UsageRecord r) {
        database.useTransaction(h -> h.createUpdate("""
                        INSERT INTO usage_records (id, organization_id, user_id, key_id, group_id, endpoint, model,
                            backend, backend_location, prompt_tokens, cached_tokens, completion_tokens, duration_ms,
                            outcome, energy_wh, at)
                        VALUES (:id, :org, :user, :key, :group, :endpoint, :model, :backend, :location, :prompt,
                            :cached, :completion, :duration, :outcome, :energy, :at)""")
                .bind("id", r.id()).bind("org", r.organizationId()).bind("user", r.userId()).bind("key", r.keyId())
                .bind("group", r.groupId())
                .bind("endpoint", r.endpoint()).bind("model", r.model()).bind("backend", r.backend())
                .bind("location", r.backendLocation()).bind("prompt", r.promptTokens())
                .bind("cached", r.cachedTokens()).bind("completion", r.completionTokens())
                .bind("duration", r.durationMillis()).bind("outcome", r.outcome()).bind("energy", r.energyWh())
                .bind("at", r.at()).execute());
    }

    /**
     * The totals of {@code organizationId}'s calls in [{@code from}, {@code to}), by period and,
     * unless {@code groupBy} is null, by group; {@code actor} (a user or key id), unless null,
     * keeps only that actor's calls. Periods are UTC days or months, oldest first.
     */
    public List<Total> totals(String organizationId, Instant from, Instant to, Period period, GroupBy groupBy,
                              String actor) {
        String group = groupBy == null ? "NULL" : groupBy.column;
        // Summed by UTC day in SQL (integer division of epoch milliseconds: the same in SQLite and
        // PostgreSQL, which share no date function), then days rolled up into months here.
        List<DaySum> days = database.jdbi().withHandle(h -> {
            var query = h.createQuery("SELECT at / 86400000 AS day, " + group + " AS grp, COUNT(*) AS requests,"
                    + " SUM(prompt_tokens) AS prompt, SUM(cached_tokens) AS cached, SUM(completion_tokens) AS completion,"
                    + " SUM(energy_wh) AS energy FROM usage_records"
                    + " WHERE organization_id = :org AND at >= :from AND at < :to"
                    + (actor == null ? "" : " AND (user_id = :actor OR key_id = :actor)")
                    + " GROUP BY at / 86400000" + (groupBy == null ? "" : ", " + group))
                    .bind("org", organizationId).bind("from", from.toEpochMilli()).bind("to", to.toEpochMilli());
            if (actor != null) {
                query.bind("actor", actor);
            }
            return query.map((rs, ctx) -> {
                double energy = rs.getDouble("energy");
                Double estimate = rs.wasNull() ? null : energy;
                return new DaySum(rs.getLong("day"), rs.getString("grp"), rs.getLong("requests"), rs.getLong("prompt"),
                        rs.getLong("cached"), rs.getLong("completion"), estimate);
            }).list();
        });
        Map<String, Map<String, Total>> totals = new TreeMap<>();
        for (DaySum day : days) {
            LocalDate date = LocalDate.ofEpochDay(day.day);
            String key = period == Period.DAY ? date.toString() : YearMonth.from(date).toString();
            String groupKey = day.group == null ? "" : day.group;
            totals.computeIfAbsent(key, k -> new TreeMap<>()).merge(groupKey,
                    new Total(key, groupBy == null ? null : groupKey, day.requests, day.prompt, day.cached, day.completion,
                            day.energy),
                    (a, b) -> new Total(a.period(), a.group(), a.requests() + b.requests(),
                            a.promptTokens() + b.promptTokens(), a.cachedTokens() + b.cachedTokens(),
                            a.completionTokens() + b.completionTokens(), sum(a.energyWh(), b.energyWh())));
        }
        List<Total> list = new ArrayList<>();
        totals.values().forEach(groups -> list.addAll(groups.values()));
        return list;
    }

    private record DaySum(long day, String group, long requests, long prompt, long cached, long completion,
                          Double energy) {}

    /** The sum of two estimates, either of which may be missing (null: no call had one). */
    public static Double sum(Double a, Double b) {
        if (a == null) {
            return b;
        }
        return b == null ? a : Double.valueOf(a + b);
    }

    /**
     * The totals as CSV, with a header line; values quoted where they hold a comma or a quote. The
     * energy column is an estimate, empty where no call had a figure.
     */
    public static String csv(List<Total> totals) {
        StringBuilder csv = new StringBuilder(
                "period,group,requests,prompt_tokens,cached_tokens,completion_tokens,energy_wh_estimate\n");
        for (Total t : totals) {
            csv.append(t.period()).append(',').append(quoted(t.group() == null ? "" : t.group())).append(',')
                    .append(t.requests()).append(',').append(t.promptTokens()).append(',').append(t.cachedTokens())
                    .append(',').append(t.completionTokens()).append(',')
                    .append(t.energyWh() == null ? "" : String.format(Locale.ROOT, "%.6f", t.energyWh()))
                    .append('\n');
        }
        return csv.toString();
    }

    private static String quoted(String value) {
        // A leading = + - @ would make a spreadsheet run it as a formula.
        boolean formula = !value.isEmpty() && "=+-@".indexOf(value.charAt(0)) >= 0;
        if (!formula && value.indexOf(',') < 0 && value.indexOf('"') < 0 && value.indexOf('\n') < 0) {
            return value;
        }
        return "\"" + (formula ? "'" : "") + value.replace("\"", "\"\"") + "\"";
    }
}

package eu.souverain.server.api;

import eu.souverain.server.limits.Metering;
import eu.souverain.server.limits.UsageRecords;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.Scope;
import io.javalin.http.Context;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * GET /v1/usage: the tokens and requests of model calls by day or month, grouped on demand, as
 * JSON or CSV. Everyone sees their own; admins and auditors see anyone's in their organization,
 * or the whole organization's.
 */
final class UsageRoute {

    /** The longest span one report covers, so that one request reads a bounded number of rows. */
    private static final int MAX_DAYS = 400;

    /** What the energy figures are, said with every report: they are estimates, not measurements. */
    static final String ENERGY_NOTE = "energy_wh_estimate is an estimate, not a measurement: each call's prompt and"
            + " completion tokens times the watt-hours per 1,000 tokens the operator set for its backend"
            + " (--energy-wh-per-1k-tokens); null where no call had a figure";

    private final Metering metering;
    private final UsageRecords usage;
    private final Clock clock;

    UsageRoute(Metering metering) {
        this.metering = metering;
        this.usage = metering.usage();
        this.clock = metering.clock();
    }

    void get(Context ctx) {
        Principal principal = Authentication.principal(ctx);
        UsageRecords.Period period = switch (ctx.queryParamAsClass("period", String.class).getOrDefault("day")) {
            case "day" -> UsageRecords.Period.DAY;
            case "month" -> UsageRecords.Period.MONTH;
            default -> throw ApiError.invalid("period", "period must be 'day' or 'month'");
        };
        UsageRecords.GroupBy groupBy = null;
        String group = ctx.queryParam("group_by");
        if (group != null) {
            try {
                groupBy = UsageRecords.GroupBy.of(group);
            } catch (IllegalArgumentException e) {
                throw ApiError.invalid("group_by", e.getMessage());
            }
        }
        LocalDate end = date(ctx, "end", LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC));
        LocalDate start = date(ctx, "start", end.minusDays(29));
        if (start.isAfter(end) || start.plusDays(MAX_DAYS).isBefore(end)) {
            throw ApiError.invalid("start", "start must be on or before end, and at most " + MAX_DAYS + " days before it");
        }
        boolean reader = principal.has(Scope.ADMIN) || principal.has(Scope.AUDIT);
        String actor = ctx.queryParam("user");
        if (actor == null && !reader) {
            actor = principal.actorId();
        } else if (actor != null && !reader && !actor.equals(principal.actorId())) {
            throw new ApiError(403, "invalid_request_error", "insufficient_scope", "user",
                    "only admins and auditors may read another user's usage", Map.of());
        }
        List<UsageRecords.Total> totals = usage.totals(principal.organizationId(),
                start.atStartOfDay(ZoneOffset.UTC).toInstant(), end.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant(),
                period, groupBy, actor);
        if ("csv".equals(ctx.queryParam("format"))) {
            ctx.header("Content-Disposition", "attachment; filename=\"usage-" + start + "-" + end + ".csv\"");
            ctx.contentType("text/csv; charset=utf-8").result(UsageRecords.csv(totals));
            return;
        }
        List<Map<String, Object>> data = new ArrayList<>();
        long requests = 0;
        long prompt = 0;
        long completion = 0;
        long cached = 0;
        Double energy = null;
        for (UsageRecords.Total t : totals) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("period", t.period());
            if (groupBy != null) {
                row.put("group", t.group());
            }
            row.put("requests", t.requests());
            row.put("prompt_tokens", t.promptTokens());
            row.put("cached_tokens", t.cachedTokens());
            row.put("completion_tokens", t.completionTokens());
            row.put("total_tokens", t.promptTokens() + t.completionTokens());
            row.put("energy_wh_estimate", t.energyWh());
            data.add(row);
            requests += t.requests();
            prompt += t.promptTokens();
            completion += t.completionTokens();
            cached += t.cachedTokens();
            energy = UsageRecords.sum(energy, t.energyWh());
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("object", "usage");
        answer.put("organization", principal.organizationId());
        answer.put("user", actor);
        answer.put("period", period.name().toLowerCase(Locale.ROOT));
        answer.put("group_by", group);
        answer.put("start", start.toString());
        answer.put("end", end.toString());
        answer.put("data", data);
        Map<String, Object> sums = new LinkedHashMap<>();
        sums.put("requests", requests);
        sums.put("prompt_tokens", prompt);
        sums.put("cached_tokens", cached);
        sums.put("completion_tokens", completion);
        sums.put("total_tokens", prompt + completion);
        sums.put("energy_wh_estimate", energy);
        answer.put("totals", sums);
        Map<String, Object> figures = new LinkedHashMap<>();
        metering.energyFigures().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> figures.put(e.getKey(), e.getValue()));
        answer.put("energy", Map.of("wh_per_1k_tokens", figures, "note", ENERGY_NOTE));
        Json.respond(ctx, 200, answer);
    }

    private static LocalDate date(Context ctx, String name, LocalDate otherwise) {
        String value = ctx.queryParam(name);
        if (value == null) {
            return otherwise;
        }
        try {
            return LocalDate.parse(value);
        } catch (DateTimeParseException e) {
            throw ApiError.invalid(name, name + " '" + value + "' is not a date (2026-12-06)");
        }
    }
}

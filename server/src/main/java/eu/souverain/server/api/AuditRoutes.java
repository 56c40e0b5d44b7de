package eu.souverain.server.api;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import eu.souverain.server.audit.AuditEntry;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.Tenancy;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The audit log over HTTP, for owners, admins and auditors (docs/api.md): its entries, newest
 * first, and its verification. Entries are those of the caller's organization; the members of the
 * installation's own organization also see the entries that belong to no organization (the
 * installation's: master key rotations, sign-ins with unknown accounts), since they run it. The
 * chain is one for the whole installation, so verifying it ({@link SovereigntyRoute#verify}) checks every entry.
 */
final class AuditRoutes {

    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 500;

    private final Tenancy tenancy;

    AuditRoutes(Tenancy tenancy) {
        this.tenancy = tenancy;
    }

    void register(RoutesConfig routes) {
        routes.get("/v1/audit/entries", this::entries, Access.READERS);
    }

    /** GET /v1/audit/entries?limit=N&amp;before=SEQ: a page, newest first; next_before asks for the one after it. */
    private void entries(Context ctx) {
        Principal by = Authentication.principal(ctx);
        int limit = (int) positive(ctx, "limit", DEFAULT_LIMIT, MAX_LIMIT);
        Long before = ctx.queryParam("before") == null ? null : positive(ctx, "before", 0, Long.MAX_VALUE);
        boolean installation = tenancy.installationOrganization().filter(by.organizationId()::equals).isPresent();
        List<AuditEntry> page = tenancy.audit().newestFirst(by.organizationId(), installation, before, limit + 1);
        boolean more = page.size() > limit;
        List<ObjectNode> data = page.stream().limit(limit).map(AuditEntry::toJson).toList();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("object", "list");
        json.put("data", data);
        json.put("has_more", more);
        json.put("next_before", more ? data.getLast().get("seq").asLong() : null);
        Json.respond(ctx, 200, json);
    }

    /** The query parameter {@code name} as a number in [1, max]; {@code otherwise} when absent. */
    private static long positive(Context ctx, String name, long otherwise, long max) {
        String text = ctx.queryParam(name);
        if (text == null) {
            return otherwise;
        }
        long value;
        try {
            value = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw ApiError.invalid(name, "'" + name + "' must be a whole number, was '" + text + "'");
        }
        if (value < 1 || value > max) {
            throw ApiError.invalid(name, "'" + name + "' must be in [1, " + max + "], was " + value);
        }
        return value;
    }
}

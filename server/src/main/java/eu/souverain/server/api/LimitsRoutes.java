package eu.souverain.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.limits.LimitSettings;
import eu.souverain.server.limits.Limits;
import eu.souverain.server.limits.Subject;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.Tenancy;
import io.javalin.http.Context;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * /v1/admin/limits: the rate limits and token budgets of the caller's organization, of its groups
 * of users, of its users and of its keys. Listing needs admin or audit, setting and removing admin; a user or key of
 * another organization is answered as a missing one.
 */
final class LimitsRoutes {

    private static final Set<String> FIELDS = Set.of("requests_per_minute", "tokens_per_minute", "tokens_per_day",
            "tokens_per_month", "soft_percent");

    private final LimitSettings settings;
    private final Tenancy tenancy;
    private final RequestBodies bodies;
    private final Clock clock;

    LimitsRoutes(LimitSettings settings, Tenancy tenancy, RequestBodies bodies, Clock clock) {
        this.settings = settings;
        this.tenancy = tenancy;
        this.bodies = bodies;
        this.clock = clock;
    }

    void list(Context ctx) {
        List<Map<String, Object>> data = new ArrayList<>();
        for (LimitSettings.Entry entry : settings.list(Authentication.principal(ctx).organizationId())) {
            data.add(json(entry.subject(), entry.limits()));
        }
        Json.respond(ctx, 200, Map.of("object", "list", "data", data));
    }

    void put(Context ctx) throws IOException {
        Principal principal = Authentication.principal(ctx);
        Subject subject = subject(ctx, principal);
        JsonNode body = Json.read(bodies.read(ctx, AdminRoutes.MAX_BODY_BYTES));
        ChatCompletionRequests.requireKnownFields(body, FIELDS, "limits");
        Limits limits;
        try {
            limits = new Limits(optional(body, "requests_per_minute"), optional(body, "tokens_per_minute"),
                    optional(body, "tokens_per_day"), optional(body, "tokens_per_month"),
                    (int) ChatCompletionRequests.integer(body, "soft_percent", Limits.DEFAULT_SOFT_PERCENT));
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid(null, e.getMessage());
        }
        settings.put(principal.organizationId(), subject, limits, principal.actor(ctx.ip()), clock.instant());
        Json.respond(ctx, 200, json(subject, limits));
    }

    void remove(Context ctx) {
        Principal principal = Authentication.principal(ctx);
        Subject subject = subject(ctx, principal);
        if (!settings.remove(principal.organizationId(), subject, principal.actor(ctx.ip()))) {
            throw new ApiError(404, "invalid_request_error", "not_found", null,
                    subject.kind().name().toLowerCase(Locale.ROOT) + " " + subject.id() + " has no limits", Map.of());
        }
        ctx.status(204);
    }

    /** Removes the limits of group {@code groupId}, just deleted from the caller's organization (audited when it had some). */
    void forgetGroup(Context ctx, String groupId) {
        Principal principal = Authentication.principal(ctx);
        settings.remove(principal.organizationId(), new Subject(Subject.Kind.GROUP, groupId), principal.actor(ctx.ip()));
    }

    /** The route's subject, checked to belong to the caller's organization. */
    private Subject subject(Context ctx, Principal principal) {
        String kind = ctx.pathParam("kind");
        String id = ctx.pathParam("id");
        return switch (kind) {
            case "organization" -> {
                if (!id.equals(principal.organizationId())) {
                    throw new ApiError(404, "invalid_request_error", "not_found", null,
                            "no organization " + id + " here", Map.of());
                }
                yield new Subject(Subject.Kind.ORGANIZATION, id);
            }
            case "group" -> new Subject(Subject.Kind.GROUP,
                    tenancy.groups().get(principal.organizationId(), id, principal.actor(ctx.ip())).id());
            case "user" -> new Subject(Subject.Kind.USER,
                    tenancy.users().get(principal.organizationId(), id, principal.actor(ctx.ip())).id());
            case "key" -> new Subject(Subject.Kind.KEY,
                    tenancy.keys().get(principal.organizationId(), id, principal.actor(ctx.ip())).id());
            default -> throw ApiError.invalid("kind", "limits are set on an organization, a group, a user or a key, not '"
                    + kind + "'");
        };
    }

    private static Long optional(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.canConvertToExactIntegral() || !value.canConvertToLong()) {
            throw ChatCompletionRequests.typeError(field, "an integer or null", value);
        }
        return value.longValue();
    }

    private static Map<String, Object> json(Subject subject, Limits limits) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("subject", Map.of("kind", subject.kind().name().toLowerCase(Locale.ROOT), "id", subject.id()));
        json.put("requests_per_minute", limits.requestsPerMinute());
        json.put("tokens_per_minute", limits.tokensPerMinute());
        json.put("tokens_per_day", limits.tokensPerDay());
        json.put("tokens_per_month", limits.tokensPerMonth());
        json.put("soft_percent", limits.softPercent());
        return json;
    }
}

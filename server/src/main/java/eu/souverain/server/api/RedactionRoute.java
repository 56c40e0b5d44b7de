package eu.souverain.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.privacy.PiiKind;
import eu.souverain.server.privacy.RedactionSettings;
import eu.souverain.server.privacy.Redactions;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * GET and PUT /v1/admin/redaction: whether the request's organization has the personal data of
 * its requests to remote backends replaced by placeholders, and which kinds.
 */
final class RedactionRoute {

    private static final Set<String> FIELDS = Set.of("enabled", "kinds");

    private final Redactions redactions;
    private final RequestBodies bodies;

    RedactionRoute(Redactions redactions, RequestBodies bodies) {
        this.redactions = redactions;
        this.bodies = bodies;
    }

    void get(Context ctx) {
        String organization = Authentication.principal(ctx).organizationId();
        Json.respond(ctx, 200, answer(organization, redactions.settings(organization)));
    }

    void put(Context ctx) throws IOException {
        String organization = Authentication.principal(ctx).organizationId();
        JsonNode body = Json.read(bodies.read(ctx));
        ChatCompletionRequests.requireKnownFields(body, FIELDS, "redaction settings");
        JsonNode enabled = body.get("enabled");
        if (enabled == null || enabled.isNull()) {
            throw ApiError.schema("missing_field", "enabled", "'enabled' is required: true or false");
        }
        if (!enabled.isBoolean()) {
            throw ChatCompletionRequests.typeError("enabled", "a boolean", enabled);
        }
        Set<PiiKind> kinds = EnumSet.allOf(PiiKind.class);
        JsonNode names = body.get("kinds");
        if (names != null && !names.isNull()) {
            if (!names.isArray()) {
                throw ChatCompletionRequests.typeError("kinds", "an array of strings", names);
            }
            kinds = EnumSet.noneOf(PiiKind.class);
            for (int i = 0; i < names.size(); i++) {
                if (!names.get(i).isTextual()) {
                    throw ChatCompletionRequests.typeError("kinds[" + i + "]", "a string", names.get(i));
                }
                try {
                    kinds.add(RedactionSettings.kind(names.get(i).asText()));
                } catch (IllegalArgumentException e) {
                    throw ApiError.invalid("kinds[" + i + "]", e.getMessage());
                }
            }
        }
        RedactionSettings settings;
        try {
            settings = new RedactionSettings(enabled.asBoolean(), kinds);
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid("kinds", e.getMessage());
        }
        try {
            redactions.set(organization, settings, Authentication.principal(ctx).actorId(), ctx.ip());
        } catch (NoSuchElementException e) {
            throw new ApiError(404, "invalid_request_error", "not_found", null, e.getMessage(), Map.of());
        }
        Json.respond(ctx, 200, answer(organization, settings));
    }

    private static Map<String, Object> answer(String organization, RedactionSettings settings) {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("organization", organization);
        answer.put("enabled", settings.enabled());
        answer.put("kinds", settings.kindNames());
        answer.put("applies_to", "requests to remote backends; the local engine always sees the original text");
        return answer;
    }
}

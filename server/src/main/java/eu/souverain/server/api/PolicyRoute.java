package eu.souverain.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.backends.Backend;
import eu.souverain.server.backends.Backends;
import eu.souverain.server.sovereignty.Residency;
import eu.souverain.server.sovereignty.ResidencyPolicy;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * GET and PUT /v1/admin/policy: the residency policy of the request's organization, and with it
 * which of the configured backends that policy admits, so that an admin sees at once what a
 * change allows.
 */
final class PolicyRoute {

    private static final Set<String> FIELDS = Set.of("remote_backends", "jurisdictions", "countries", "operators");

    private final Residency residency;
    private final Backends backends;
    private final RequestBodies bodies;

    PolicyRoute(Residency residency, Backends backends, RequestBodies bodies) {
        this.residency = residency;
        this.backends = backends;
        this.bodies = bodies;
    }

    void get(Context ctx) {
        String organization = organization(ctx);
        try {
            Json.respond(ctx, 200, answer(organization, residency.policy(organization)));
        } catch (NoSuchElementException e) {
            throw notFound(e);
        }
    }

    void put(Context ctx) throws IOException {
        String organization = organization(ctx);
        JsonNode body = Json.read(bodies.read(ctx));
        ChatCompletionRequests.requireKnownFields(body, FIELDS, "residency policy");
        JsonNode remote = body.get("remote_backends");
        if (remote == null || remote.isNull()) {
            throw ApiError.schema("missing_field", "remote_backends", "'remote_backends' is required: true or false");
        }
        if (!remote.isBoolean()) {
            throw ChatCompletionRequests.typeError("remote_backends", "a boolean", remote);
        }
        ResidencyPolicy policy;
        try {
            policy = new ResidencyPolicy(remote.asBoolean(), strings(body, "jurisdictions"), strings(body, "countries"),
                    strings(body, "operators"));
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid(null, e.getMessage());
        }
        try {
            residency.setPolicy(organization, policy, Authentication.principal(ctx).actorId(), ctx.ip());
        } catch (NoSuchElementException e) {
            throw notFound(e);
        }
        Json.respond(ctx, 200, answer(organization, policy));
    }

    private static String organization(Context ctx) {
        return Authentication.principal(ctx).organizationId();
    }

    private static ApiError notFound(NoSuchElementException e) {
        return new ApiError(404, "invalid_request_error", "not_found", null, e.getMessage(), Map.of());
    }

    private static List<String> strings(JsonNode body, String field) {
        JsonNode values = body.get(field);
        if (values == null || values.isNull()) {
            return List.of();
        }
        if (!values.isArray()) {
            throw ChatCompletionRequests.typeError(field, "an array of strings", values);
        }
        List<String> strings = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            if (!values.get(i).isTextual()) {
                throw ChatCompletionRequests.typeError(field + "[" + i + "]", "a string", values.get(i));
            }
            strings.add(values.get(i).asText());
        }
        return strings;
    }

    private Map<String, Object> answer(String organization, ResidencyPolicy policy) {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("organization", organization);
        answer.put("remote_backends", policy.remoteBackends());
        answer.put("jurisdictions", policy.jurisdictions());
        answer.put("countries", policy.countries());
        answer.put("operators", policy.operators());
        List<Map<String, Object>> backends = new ArrayList<>();
        for (Backend backend : this.backends.all()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", backend.name());
            entry.put("remote", backend.remote());
            entry.put("location", backend.location().describe());
            entry.put("models", backend.models().stream().map(m -> m.id()).toList());
            String refusal = policy.refusal("the policy", backend).orElse(null);
            entry.put("allowed", refusal == null);
            entry.put("refusal", refusal);
            backends.add(entry);
        }
        answer.put("backends", backends);
        return answer;
    }
}

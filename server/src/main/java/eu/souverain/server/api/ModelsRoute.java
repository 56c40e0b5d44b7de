package eu.souverain.server.api;

import eu.souverain.server.backends.Backend;
import eu.souverain.server.backends.BackendLocation;
import eu.souverain.server.backends.Backends;
import eu.souverain.server.backends.ModelInfo;
import eu.souverain.server.tenancy.Groups;
import eu.souverain.server.tenancy.Principal;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GET /v1/models and /v1/models/{id}: OpenAI's list and model objects, with the fields Mistral's
 * clients read too, and two of Souverain's own, which clients ignore: the backend that serves
 * the model and where it runs. Only the models the caller's groups allow are listed; another is
 * answered as one that does not exist.
 */
final class ModelsRoute {

    private final Backends backends;
    private final Groups groups;

    ModelsRoute(Backends backends, Groups groups) {
        this.backends = backends;
        this.groups = groups;
    }

    void list(Context ctx) {
        Principal caller = Authentication.principal(ctx);
        List<Map<String, Object>> data = backends.models().stream().filter(m -> groups.mayUse(caller, m.id()))
                .map(m -> model(m, backends.serving(m.id()))).toList();
        Json.respond(ctx, 200, Map.of("object", "list", "data", data));
    }

    void get(Context ctx) {
        String id = ctx.pathParam("id");
        Principal caller = Authentication.principal(ctx);
        ModelInfo info = backends.models().stream().filter(m -> m.id().equals(id) && groups.mayUse(caller, id))
                .findFirst()
                .orElseThrow(() -> new ApiError(404, "invalid_request_error", "model_not_found", "model",
                        "the model '" + id + "' does not exist", Map.of()));
        Json.respond(ctx, 200, model(info, backends.serving(id)));
    }

    private static Map<String, Object> model(ModelInfo info, Backend backend) {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("id", info.id());
        model.put("object", "model");
        model.put("created", info.created());
        model.put("owned_by", backend.remote() ? backend.location().provider() : "souverain");
        // Mistral's model card: its SDK requires capabilities and tells cards apart by type.
        model.put("type", "base");
        if (info.contextLength() > 0) {
            model.put("max_context_length", info.contextLength());
        }
        // "embeddings" is Souverain's own: every model embeds, and a sentence-embedding model does nothing else.
        model.put("capabilities", Map.of("completion_chat", info.chats(), "completion_fim", false,
                "function_calling", false, "fine_tuning", false, "vision", false, "embeddings", true));
        model.put("backend", backend.name());
        model.put("location", location(backend));
        return model;
    }

    private static Map<String, Object> location(Backend backend) {
        BackendLocation at = backend.location();
        Map<String, Object> location = new LinkedHashMap<>();
        location.put("remote", backend.remote());
        location.put("provider", at.provider());
        location.put("operator", at.operator());
        location.put("country", at.country());
        location.put("region", at.region());
        location.put("jurisdiction", at.jurisdiction());
        location.put("certifications", at.certifications());
        if (at.country() == null) {
            location.put("warning", "the country of this host is unknown: start serve with --country (an ISO 3166 "
                    + "code such as FR), or policies that name countries or jurisdictions refuse this backend");
        }
        return location;
    }
}

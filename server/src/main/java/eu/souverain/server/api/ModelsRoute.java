package eu.souverain.server.api;

import eu.souverain.server.gateway.ModelInfo;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** GET /v1/models and /v1/models/{id}: OpenAI's list and model objects, with the fields Mistral's clients read too. */
final class ModelsRoute {

    private final ApiServer server;

    ModelsRoute(ApiServer server) {
        this.server = server;
    }

    void list(Context ctx) {
        List<Map<String, Object>> data = server.backend().models().stream().map(ModelsRoute::model).toList();
        Json.respond(ctx, 200, Map.of("object", "list", "data", data));
    }

    void get(Context ctx) {
        String id = ctx.pathParam("id");
        ModelInfo info = server.backend().models().stream().filter(m -> m.id().equals(id)).findFirst()
                .orElseThrow(() -> new ApiError(404, "invalid_request_error", "model_not_found", "model",
                        "the model '" + id + "' does not exist", Map.of()));
        Json.respond(ctx, 200, model(info));
    }

    private static Map<String, Object> model(ModelInfo info) {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("id", info.id());
        model.put("object", "model");
        model.put("created", info.created());
        model.put("owned_by", "souverain");
        // Mistral's model card: its SDK requires capabilities and tells cards apart by type.
        model.put("type", "base");
        model.put("max_context_length", info.contextLength());
        model.put("capabilities", Map.of("completion_chat", true, "completion_fim", false, "function_calling", false,
                "fine_tuning", false, "vision", false));
        return model;
    }
}

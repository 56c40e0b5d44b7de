package eu.souverain.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.backends.Backend;
import eu.souverain.server.backends.BackendException;
import eu.souverain.server.backends.EmbeddingRequest;
import eu.souverain.server.backends.Embeddings;
import eu.souverain.server.backends.ModelInfo;
import eu.souverain.server.calls.ModelCalls;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * POST /v1/embeddings: one unit-length vector per input text (the mean of the model's final
 * hidden states), in OpenAI's list shape, which Mistral's API shares. Vectors go out as JSON
 * numbers, or with encoding_format "base64" as OpenAI sends them: the little-endian float32
 * bytes of the vector, base64-encoded.
 */
final class EmbeddingsRoute {

    private static final Set<String> FIELDS = Set.of(
            // both APIs
            "model", "input",
            // OpenAI
            "encoding_format", "dimensions", "user",
            // Mistral
            "output_dtype", "output_dimension");

    private final ModelCalls calls;
    private final RequestBodies bodies;

    EmbeddingsRoute(ModelCalls calls, RequestBodies bodies) {
        this.calls = calls;
        this.bodies = bodies;
    }

    void handle(Context ctx) throws IOException {
        JsonNode body = Json.read(bodies.read(ctx));
        ChatCompletionRequests.requireKnownFields(body, FIELDS, "embeddings");
        String model = ChatCompletionRequests.string(body, "model");
        if (model == null) {
            model = calls.defaultEmbeddingModel();
        }
        List<String> inputs = inputs(body.get("input"));
        boolean base64 = base64(body);
        ChatCompletionRequests.string(body, "user");
        String dtype = ChatCompletionRequests.string(body, "output_dtype");
        if (dtype != null && !dtype.equals("float")) {
            throw ApiError.unsupported("output_dtype", "output_dtype '" + dtype + "' is not supported yet; only 'float'");
        }
        String name = model;
        ModelInfo info = calls.backends().models().stream().filter(m -> m.id().equals(name)).findFirst()
                .orElseThrow(() -> ApiErrors.of(BackendException.modelNotFound(name)));
        for (String field : List.of("dimensions", "output_dimension")) {
            long dimensions = ChatCompletionRequests.integer(body, field, info.embeddingLength());
            if (dimensions != info.embeddingLength()) {
                throw ApiError.unsupported(field, field + " " + dimensions + " is not supported yet: model '"
                        + info.id() + "' embeds into " + info.embeddingLength() + " dimensions, and shorter vectors "
                        + "are not supported yet");
            }
        }

        Embeddings embeddings;
        try {
            embeddings = calls.embed(Authentication.principal(ctx), ctx.ip(), "/v1/embeddings",
                    new EmbeddingRequest(model, inputs));
        } catch (BackendException e) {
            throw e.reason() == BackendException.Reason.INVALID_REQUEST ? ApiError.invalid("input", e.getMessage())
                    : ApiErrors.of(e);
        }
        List<Map<String, Object>> data = new ArrayList<>();
        for (int i = 0; i < embeddings.vectors().size(); i++) {
            float[] vector = embeddings.vectors().get(i);
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("object", "embedding");
            entry.put("index", i);
            entry.put("embedding", base64 ? base64(vector) : vector);
            data.add(entry);
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        // Mistral's API gives each embedding answer an id, and its SDKs require one.
        answer.put("id", "embd-" + Generations.randomId());
        answer.put("object", "list");
        answer.put("data", data);
        answer.put("model", model);
        answer.put("usage", Map.of("prompt_tokens", embeddings.promptTokens(),
                "total_tokens", embeddings.promptTokens()));
        Json.respond(ctx, 200, answer);
    }

    /** A string or an array of strings, none empty; token ids (both APIs allow them) are refused by name. */
    private static List<String> inputs(JsonNode input) {
        if (input == null || input.isNull()) {
            throw ApiError.schema("missing_field", "input", "'input' is required");
        }
        if (input.isTextual()) {
            if (input.asText().isEmpty()) {
                throw ApiError.invalid("input", "input must not be empty");
            }
            return List.of(input.asText());
        }
        if (!input.isArray()) {
            throw ChatCompletionRequests.typeError("input", "a string or an array of strings", input);
        }
        if (input.isEmpty()) {
            throw ApiError.invalid("input", "input must not be an empty array");
        }
        RequestLimits.atMost("input", input, RequestLimits.MAX_EMBEDDING_INPUTS, "texts");
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < input.size(); i++) {
            JsonNode text = input.get(i);
            if (text.isNumber() || text.isArray()) {
                throw ApiError.unsupported("input", "input as token ids is not supported yet; send text");
            }
            if (!text.isTextual()) {
                throw ChatCompletionRequests.typeError("input[" + i + "]", "a string", text);
            }
            if (text.asText().isEmpty()) {
                throw ApiError.invalid("input[" + i + "]", "input[" + i + "] must not be empty");
            }
            texts.add(text.asText());
        }
        return texts;
    }

    private static boolean base64(JsonNode body) {
        String format = ChatCompletionRequests.string(body, "encoding_format");
        if (format == null || format.equals("float")) {
            return false;
        }
        if (format.equals("base64")) {
            return true;
        }
        throw ApiError.invalid("encoding_format", "encoding_format must be 'float' or 'base64', got '" + format + "'");
    }

    private static String base64(float[] vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(vector);
        return Base64.getEncoder().encodeToString(bytes.array());
    }
}

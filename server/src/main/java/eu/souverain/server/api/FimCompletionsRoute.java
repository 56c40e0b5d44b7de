package eu.souverain.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.backends.ChatRequest;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.Set;

/**
 * POST /v1/fim/completions: Mistral's fill in the middle, the code between a prompt and a suffix,
 * answered as a chat completion, as Mistral's API answers it. Sampling is read as the chat route
 * reads it; without max_tokens, until the model ends or the context is full.
 */
final class FimCompletionsRoute {

    private static final Set<String> FIELDS = Set.of("model", "prompt", "suffix", "max_tokens", "min_tokens",
            "temperature", "top_p", "stop", "random_seed", "stream");

    private final Generations generations;
    private final RequestBodies bodies;

    FimCompletionsRoute(Generations generations, RequestBodies bodies) {
        this.generations = generations;
        this.bodies = bodies;
    }

    void handle(Context ctx) throws IOException {
        JsonNode body = Json.read(bodies.read(ctx));
        ChatCompletionRequests.Settings settings = ChatCompletionRequests.settings(body, Generations.RANDOM::nextLong);
        generations.answer(ctx, request(body, settings, generations.defaultModel()), settings.stream(),
                settings.includeUsage(), ChatCompletionsRoute.WIRE);
    }

    /** The request a fill-in-the-middle body asks for, its sampling read into {@code settings}. */
    static ChatRequest request(JsonNode body, ChatCompletionRequests.Settings settings, String defaultModel) {
        ChatCompletionRequests.requireKnownFields(body, FIELDS, "fill-in-the-middle");
        if (ChatCompletionRequests.integer(body, "min_tokens", 0) != 0) {
            throw ApiError.unsupported("min_tokens", "min_tokens is not supported yet");
        }
        JsonNode prompt = body.get("prompt");
        if (prompt == null || prompt.isNull()) {
            throw ApiError.schema("missing_field", "prompt", "'prompt' is required");
        }
        String prefix = ChatCompletionRequests.string(body, "prompt");
        String suffix = ChatCompletionRequests.string(body, "suffix");
        String model = ChatCompletionRequests.string(body, "model");
        return new ChatRequest(model != null ? model : defaultModel,
                new ChatRequest.Fill(prefix, suffix == null ? "" : suffix), settings.sampling(),
                settings.maxTokens(Integer.MAX_VALUE), settings.stops(), settings.choices());
    }
}

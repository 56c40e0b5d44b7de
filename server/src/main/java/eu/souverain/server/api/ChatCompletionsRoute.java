package eu.souverain.server.api;

import eu.souverain.engine.model.Generator;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** POST /v1/chat/completions: a conversation, answered with assistant messages. */
final class ChatCompletionsRoute {

    private final ApiServer server;
    private final Generations generations;

    ChatCompletionsRoute(ApiServer server, Generations generations) {
        this.server = server;
        this.generations = generations;
    }

    void handle(Context ctx) throws IOException {
        ChatCompletionRequests.Call call = ChatCompletionRequests.parse(Json.read(server.requestBody(ctx)),
                server.defaultModel(), Generations.RANDOM::nextLong);
        generations.answer(ctx, call.request(), call.stream(), call.includeUsage(), WIRE);
    }

    private static final Generations.Wire WIRE = new Generations.Wire() {
        @Override
        public String idPrefix() {
            return "chatcmpl-";
        }

        @Override
        public String object() {
            return "chat.completion";
        }

        @Override
        public String chunkObject() {
            return "chat.completion.chunk";
        }

        @Override
        public Map<String, Object> choice(int index, String text, Generator.Finish finish) {
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", "assistant");
            message.put("content", text);
            return entry(index, "message", message, finish);
        }

        @Override
        public Map<String, Object> chunkChoice(int index, String text, Generator.Finish finish) {
            return entry(index, "delta", text == null ? Map.of() : Map.of("content", text), finish);
        }

        @Override
        public Map<String, Object> opening(int index) {
            return entry(index, "delta", Map.of("role", "assistant", "content", ""), null);
        }

        private static Map<String, Object> entry(int index, String field, Object value, Generator.Finish finish) {
            Map<String, Object> choice = new LinkedHashMap<>();
            choice.put("index", index);
            choice.put(field, value);
            choice.put("finish_reason", finish == null ? null : Generations.finishReason(finish));
            choice.put("logprobs", null);
            return choice;
        }
    };
}

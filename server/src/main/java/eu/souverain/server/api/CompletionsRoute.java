package eu.souverain.server.api;

import eu.souverain.engine.model.FinishReason;
import eu.souverain.engine.prompt.ToolCall;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** POST /v1/completions: OpenAI's legacy text completion, a raw prompt continued as it is. */
final class CompletionsRoute {

    private final Generations generations;
    private final RequestBodies bodies;

    CompletionsRoute(Generations generations, RequestBodies bodies) {
        this.generations = generations;
        this.bodies = bodies;
    }

    void handle(Context ctx) throws IOException {
        CompletionRequests.Call call = CompletionRequests.parse(Json.read(bodies.read(ctx)),
                generations.defaultModel(), Generations.RANDOM::nextLong);
        generations.answer(ctx, call.request(), call.stream(), call.includeUsage(), new Text(call.echo()));
    }

    /** Choices as {@code text}; with echo, each answer starts with the prompt. */
    record Text(String echo) implements Generations.Wire {
        @Override
        public String idPrefix() {
            return "cmpl-";
        }

        @Override
        public String object() {
            return "text_completion";
        }

        @Override
        public String chunkObject() {
            return "text_completion";
        }

        @Override
        public Map<String, Object> choice(int index, String text, List<ToolCall> calls, FinishReason finish) {
            return entry(index, echo == null ? text : echo + text, finish);
        }

        @Override
        public Map<String, Object> chunkChoice(int index, String text, FinishReason finish, boolean calls) {
            return entry(index, text == null ? "" : text, finish);
        }

        /** Never called: a completion request has no tools. */
        @Override
        public Map<String, Object> toolCallsChoice(int index, List<ToolCall> calls) {
            throw new IllegalStateException("a text completion carries no function calls");
        }

        @Override
        public Map<String, Object> opening(int index) {
            return echo == null ? null : entry(index, echo, null);
        }

        private static Map<String, Object> entry(int index, String text, FinishReason finish) {
            Map<String, Object> choice = new LinkedHashMap<>();
            choice.put("text", text);
            choice.put("index", index);
            choice.put("logprobs", null);
            choice.put("finish_reason", finish == null ? null : Generations.finishReason(finish, false));
            return choice;
        }
    }
}

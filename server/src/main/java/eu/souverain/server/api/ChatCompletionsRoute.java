package eu.souverain.server.api;

import eu.souverain.engine.model.FinishReason;
import eu.souverain.engine.prompt.ToolCall;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** POST /v1/chat/completions: a conversation, answered with assistant messages. */
final class ChatCompletionsRoute {

    private final Generations generations;
    private final ConversationsRoutes conversations;
    private final RequestBodies bodies;
    private final Grounding grounding;

    ChatCompletionsRoute(Generations generations, ConversationsRoutes conversations, RequestBodies bodies,
                         Grounding grounding) {
        this.generations = generations;
        this.conversations = conversations;
        this.bodies = bodies;
        this.grounding = grounding;
    }

    void handle(Context ctx) throws IOException {
        ChatCompletionRequests.Call call = ChatCompletionRequests.parse(Json.read(bodies.read(ctx)),
                generations.defaultModel(), Generations.RANDOM::nextLong);
        // A document_library tool: the passages go into the prompt, the references into the answer.
        Grounding.Grounded grounded = call.libraryIds() == null ? Grounding.Grounded.none(call.request())
                : grounding.ground(ctx, call.request(), call.libraryIds());
        // With store: true, the request's messages are kept as a new conversation before the model runs, the answer after.
        generations.answer(ctx, grounded.request(), call.stream(), call.includeUsage(), WIRE,
                call.store() ? conversations.stored(ctx, call, grounded.kept()) : null, grounded.closing());
    }

    /** Chat completions on the wire; Mistral's fill-in-the-middle answers look the same. */
    static final Generations.Wire WIRE = new Generations.Wire() {
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
        public Map<String, Object> choice(int index, String text, List<ToolCall> calls, FinishReason finish) {
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", "assistant");
            message.put("content", calls == null ? text : null);
            if (calls != null) {
                message.put("tool_calls", toolCalls(calls, false));
            }
            return entry(index, "message", message, finish, calls != null);
        }

        @Override
        public Map<String, Object> chunkChoice(int index, String text, FinishReason finish, boolean calls) {
            return entry(index, "delta", text == null ? Map.of() : Map.of("content", text), finish, calls);
        }

        @Override
        public Map<String, Object> toolCallsChoice(int index, List<ToolCall> calls) {
            return entry(index, "delta", Map.of("tool_calls", toolCalls(calls, true)), null, true);
        }

        @Override
        public Map<String, Object> opening(int index) {
            return entry(index, "delta", Map.of("role", "assistant", "content", ""), null, false);
        }

        /** Each call as both APIs write it; a streamed one also says its place among the choice's calls. */
        private static List<Map<String, Object>> toolCalls(List<ToolCall> calls, boolean streamed) {
            List<Map<String, Object>> list = new ArrayList<>();
            for (int i = 0; i < calls.size(); i++) {
                ToolCall call = calls.get(i);
                Map<String, Object> entry = new LinkedHashMap<>();
                if (streamed) {
                    entry.put("index", i);
                }
                entry.put("id", call.id());
                entry.put("type", "function");
                entry.put("function", Map.of("name", call.name(), "arguments", call.arguments()));
                list.add(entry);
            }
            return list;
        }

        private static Map<String, Object> entry(int index, String field, Object value, FinishReason finish,
                                                 boolean calls) {
            Map<String, Object> choice = new LinkedHashMap<>();
            choice.put("index", index);
            choice.put(field, value);
            choice.put("finish_reason", finish == null ? null : Generations.finishReason(finish, calls));
            choice.put("logprobs", null);
            return choice;
        }
    };
}

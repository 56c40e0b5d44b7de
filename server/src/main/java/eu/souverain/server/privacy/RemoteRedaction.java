package eu.souverain.server.privacy;

import eu.souverain.engine.model.FinishReason;
import eu.souverain.engine.prompt.ToolCall;
import eu.souverain.server.backends.Backend;
import eu.souverain.server.backends.ChatRequest;
import eu.souverain.server.backends.Generation;
import eu.souverain.server.backends.GenerationSink;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A generation on a remote backend with the personal data of its prompt replaced by placeholders
 * before it leaves, and the values put back into each choice's answer as it streams in. The
 * placeholders and their values never leave this process.
 */
public final class RemoteRedaction {

    private RemoteRedaction() {}

    /** Starts {@code request}, redacted by {@code redactor}, on {@code backend}. */
    public static Generation start(Backend backend, ChatRequest request, Redactor redactor) {
        if (!backend.remote()) {
            throw new IllegalArgumentException("backend '" + backend.name() + "' runs here: nothing leaves to redact");
        }
        List<String> texts = texts(request.prompt());
        Redaction redaction = redactor.redact(texts);
        ChatRequest redacted = new ChatRequest(request.model(), prompt(request.prompt(), redaction.texts()),
                request.sampling(), request.maxTokens(), request.stops(), request.choices(), request.format(),
                request.tools());
        Generation generation = backend.start(backend.prepare(redacted));
        if (redaction.placeholders().isEmpty()) {
            return generation;
        }
        return sink -> generation.drain(new Restoring(sink, redaction));
    }

    /** The prompt's texts in a fixed order: each message's string content, then the assistant prefix. */
    private static List<String> texts(ChatRequest.Prompt prompt) {
        List<String> texts = new ArrayList<>();
        switch (prompt) {
            case ChatRequest.Conversation conversation -> {
                for (Map<String, Object> message : conversation.messages()) {
                    if (message.get("content") instanceof String content) {
                        texts.add(content);
                    }
                }
                if (conversation.assistantPrefix() != null) {
                    texts.add(conversation.assistantPrefix());
                }
            }
            case ChatRequest.Text text -> texts.add(text.text());
            case ChatRequest.Fill fill -> {
                texts.add(fill.prefix());
                texts.add(fill.suffix());
            }
        }
        return texts;
    }

    /** The prompt with its texts replaced by {@code redacted}, in the order {@link #texts} read them. */
    private static ChatRequest.Prompt prompt(ChatRequest.Prompt prompt, List<String> redacted) {
        int[] next = {0};
        return switch (prompt) {
            case ChatRequest.Conversation conversation -> {
                List<Map<String, Object>> messages = new ArrayList<>();
                for (Map<String, Object> message : conversation.messages()) {
                    Map<String, Object> copy = new LinkedHashMap<>(message);
                    if (message.get("content") instanceof String) {
                        copy.put("content", redacted.get(next[0]++));
                    }
                    messages.add(copy);
                }
                yield new ChatRequest.Conversation(messages,
                        conversation.assistantPrefix() == null ? null : redacted.get(next[0]));
            }
            case ChatRequest.Text text -> new ChatRequest.Text(redacted.getFirst());
            case ChatRequest.Fill fill -> new ChatRequest.Fill(redacted.get(0), redacted.get(1));
        };
    }

    /** Passes each choice's pieces on with the values restored; what a choice held back goes out before its finish. */
    private static final class Restoring implements GenerationSink {
        private final GenerationSink sink;
        private final Redaction redaction;
        private final Map<Integer, Restorer> restorers = new HashMap<>();

        Restoring(GenerationSink sink, Redaction redaction) {
            this.sink = sink;
            this.redaction = redaction;
        }

        @Override
        public void text(int choice, String text) throws IOException {
            String restored = restorer(choice).push(text);
            if (!restored.isEmpty()) {
                sink.text(choice, restored);
            }
        }

        @Override
        public void toolCalls(int choice, List<ToolCall> calls) throws IOException {
            sink.toolCalls(choice, calls);
        }

        @Override
        public void finished(int choice, FinishReason finish) throws IOException {
            String rest = restorer(choice).finish();
            if (!rest.isEmpty()) {
                sink.text(choice, rest);
            }
            sink.finished(choice, finish);
        }

        private Restorer restorer(int choice) {
            return restorers.computeIfAbsent(choice, c -> redaction.restorer());
        }
    }
}

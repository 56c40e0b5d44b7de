package eu.souverain.server.api;

import eu.souverain.engine.model.Generator;
import eu.souverain.server.gateway.Backend;
import eu.souverain.server.gateway.BackendException;
import eu.souverain.server.gateway.Completion;
import eu.souverain.server.gateway.Generation;
import eu.souverain.server.gateway.GenerationSink;
import eu.souverain.server.gateway.ModelInfo;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POST /v1/chat/completions: checks the request, hands it to the backend, and answers with one
 * JSON object or, when streaming, with server-sent chunks in the order both SDKs expect:
 * the role, the content pieces, the finish reason, the usage, then {@code [DONE]}.
 */
final class ChatCompletionsRoute {

    private static final Logger LOG = LoggerFactory.getLogger(ChatCompletionsRoute.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ID_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private final ApiServer server;

    ChatCompletionsRoute(ApiServer server) {
        this.server = server;
    }

    void handle(Context ctx) throws IOException {
        Backend backend = server.backend();
        List<ModelInfo> models = backend.models();
        ChatCompletionRequests.Call call = ChatCompletionRequests.parse(Json.read(body(ctx, server.maxBodyBytes())),
                models.getFirst().id(), RANDOM::nextLong);
        Generation generation;
        try {
            generation = backend.start(call.request());
        } catch (BackendException e) {
            throw ApiServer.toApiError(e);
        }
        Answer answer = new Answer("chatcmpl-" + randomId(), Instant.now().getEpochSecond(), call.request().model(),
                call.request().choices());
        if (call.stream()) {
            stream(ctx, generation, answer, call.includeUsage());
        } else {
            complete(ctx, generation, answer);
        }
    }

    /** The body, refused before it is read whole when it is over the limit, whether or not its length is declared. */
    static byte[] body(Context ctx, long limit) throws IOException {
        long declared = ctx.req().getContentLengthLong();
        if (declared > limit) {
            throw tooLarge(declared + " bytes", limit);
        }
        try (InputStream in = ctx.req().getInputStream()) {
            byte[] body = in.readNBytes((int) Math.min(limit + 1, Integer.MAX_VALUE - 8));
            if (body.length > limit) {
                throw tooLarge("more than " + limit + " bytes", limit);
            }
            return body;
        }
    }

    private static ApiError tooLarge(String size, long limit) {
        return new ApiError(413, "invalid_request_error", "request_too_large", null,
                "the request body has " + size + "; the limit is " + limit + " bytes", Map.of());
    }

    private void complete(Context ctx, Generation generation, Answer answer) throws IOException {
        Completion completion;
        try {
            completion = generation.drain(answer);
        } catch (BackendException e) {
            throw ApiServer.toApiError(e);
        }
        List<Map<String, Object>> choices = new ArrayList<>();
        for (int i = 0; i < answer.choices; i++) {
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", "assistant");
            message.put("content", answer.texts.get(i).toString());
            Map<String, Object> choice = new LinkedHashMap<>();
            choice.put("index", i);
            choice.put("message", message);
            choice.put("finish_reason", finishReason(answer.finishes.get(i)));
            choice.put("logprobs", null);
            choices.add(choice);
        }
        Map<String, Object> body = answer.header("chat.completion");
        body.put("choices", choices);
        body.put("usage", usage(completion));
        Json.respond(ctx, 200, body);
    }

    private void stream(Context ctx, Generation generation, Answer answer, boolean includeUsage) {
        EventStream events;
        try {
            events = new EventStream(ctx.res());
            for (int i = 0; i < answer.choices; i++) {
                events.data(answer.chunk(i, Map.of("role", "assistant", "content", ""), null));
            }
        } catch (IOException e) {
            abandon(generation);
            return;
        }
        int last = answer.choices - 1;
        GenerationSink sink = new GenerationSink() {
            @Override
            public void text(int choice, String text) throws IOException {
                events.data(answer.chunk(choice, Map.of("content", text), null));
            }

            @Override
            public void finished(int choice, Generator.Finish finish) throws IOException {
                answer.finishes.put(choice, finish);
                // The last finish waits for the usage, which Mistral's clients read from that chunk.
                if (choice != last) {
                    events.data(answer.chunk(choice, Map.of(), finish));
                }
            }
        };
        try {
            Completion completion = generation.drain(sink);
            Map<String, Object> finish = answer.chunk(last, Map.of(), answer.finishes.get(last));
            if (includeUsage) {
                events.data(finish);
                Map<String, Object> usage = answer.header("chat.completion.chunk");
                usage.put("choices", List.of());
                usage.put("usage", usage(completion));
                events.data(usage);
            } else {
                finish.put("usage", usage(completion));
                events.data(finish);
            }
            events.done();
        } catch (IOException e) {
            LOG.debug("client went away during a streamed answer; its generation is cancelled", e);
        } catch (BackendException e) {
            endWithError(events, ApiServer.toApiError(e).body());
        } catch (RuntimeException e) {
            LOG.error("streamed generation failed", e);
            endWithError(events, ApiError.body("the generation failed: " + e.getMessage(), "server_error", null,
                    "internal_error"));
        }
    }

    /** The status line has gone out, so an error can only be the stream's last event. */
    private static void endWithError(EventStream events, Map<String, Object> error) {
        try {
            events.data(error);
        } catch (IOException e) {
            LOG.debug("client went away before the error event", e);
        }
    }

    /** Drains a generation nobody listens to any more, which cancels it at its first piece. */
    private static void abandon(Generation generation) {
        try {
            generation.drain(new GenerationSink() {
                @Override
                public void text(int choice, String text) throws IOException {
                    throw new IOException("client went away");
                }

                @Override
                public void finished(int choice, Generator.Finish finish) throws IOException {
                    throw new IOException("client went away");
                }
            });
        } catch (IOException | RuntimeException expected) {
            LOG.debug("abandoned generation ended", expected);
        }
    }

    private static Map<String, Object> usage(Completion completion) {
        Map<String, Object> usage = new LinkedHashMap<>();
        usage.put("prompt_tokens", completion.promptTokens());
        usage.put("completion_tokens", completion.completionTokens());
        usage.put("total_tokens", completion.promptTokens() + completion.completionTokens());
        usage.put("prompt_tokens_details", Map.of("cached_tokens", completion.cachedTokens()));
        return usage;
    }

    static String finishReason(Generator.Finish finish) {
        return switch (finish) {
            case STOP -> "stop";
            case LENGTH -> "length";
            case MODEL_LENGTH -> "model_length";
        };
    }

    private static String randomId() {
        StringBuilder id = new StringBuilder();
        for (int i = 0; i < 24; i++) {
            id.append(ID_ALPHABET.charAt(RANDOM.nextInt(ID_ALPHABET.length())));
        }
        return id.toString();
    }

    /** One answer being built: its identity, and for a non-streamed answer the text of each choice. */
    private static final class Answer implements GenerationSink {
        final String id;
        final long created;
        final String model;
        final int choices;
        final List<StringBuilder> texts = new ArrayList<>();
        final Map<Integer, Generator.Finish> finishes = new HashMap<>();

        Answer(String id, long created, String model, int choices) {
            this.id = id;
            this.created = created;
            this.model = model;
            this.choices = choices;
            for (int i = 0; i < choices; i++) {
                texts.add(new StringBuilder());
            }
        }

        @Override
        public void text(int choice, String text) {
            texts.get(choice).append(text);
        }

        @Override
        public void finished(int choice, Generator.Finish finish) {
            finishes.put(choice, finish);
        }

        Map<String, Object> header(String object) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("id", id);
            body.put("object", object);
            body.put("created", created);
            body.put("model", model);
            return body;
        }

        Map<String, Object> chunk(int choice, Map<String, Object> delta, Generator.Finish finish) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("index", choice);
            entry.put("delta", delta);
            entry.put("finish_reason", finish == null ? null : finishReason(finish));
            entry.put("logprobs", null);
            Map<String, Object> chunk = header("chat.completion.chunk");
            chunk.put("choices", List.of(entry));
            return chunk;
        }
    }
}

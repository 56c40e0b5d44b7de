package eu.souverain.server.api;

import eu.souverain.engine.model.FinishReason;
import eu.souverain.engine.prompt.ToolCall;
import eu.souverain.server.backends.Backend;
import eu.souverain.server.backends.BackendException;
import eu.souverain.server.backends.ChatRequest;
import eu.souverain.server.backends.Completion;
import eu.souverain.server.backends.Generation;
import eu.souverain.server.backends.GenerationSink;
import eu.souverain.server.calls.ModelCalls;
import eu.souverain.server.provenance.GeneratedText;
import eu.souverain.server.provenance.SignedStatement;
import eu.souverain.server.tenancy.Principal;
import io.javalin.http.Context;
import io.javalin.router.Endpoint;
import java.io.IOException;
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
 * What the completion routes share from a checked request on: the backend runs it, the metrics
 * see it, and the answer goes back as one JSON object or, when streaming, as server-sent chunks
 * in the order both SDKs expect: the opening chunks, the text pieces, the finish reasons, the
 * usage, then {@code [DONE]}. Each route only says how its choices look on the wire.
 */
final class Generations {

    private static final Logger LOG = LoggerFactory.getLogger(Generations.class);
    static final SecureRandom RANDOM = new SecureRandom();
    private static final String ID_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    /** How one route's answers look: the objects' names and each choice's fields. */
    interface Wire {
        /** The id's prefix, such as {@code chatcmpl-}. */
        String idPrefix();

        /** The {@code object} of a whole answer. */
        String object();

        /** The {@code object} of a streamed chunk. */
        String chunkObject();

        /** A choice of a whole answer: its text, or (calls not null) the function calls it makes instead. */
        Map<String, Object> choice(int index, String text, List<ToolCall> calls, FinishReason finish);

        /** A choice of a streamed chunk: a piece of text, or (text null) the finish. */
        Map<String, Object> chunkChoice(int index, String text, FinishReason finish, boolean calls);

        /** A choice of a streamed chunk that carries a choice's function calls whole. */
        Map<String, Object> toolCallsChoice(int index, List<ToolCall> calls);

        /** The choice of the chunk that opens choice {@code index}'s stream, or null for none. */
        Map<String, Object> opening(int index);
    }

    private final ModelCalls calls;
    private final ApiMetrics metrics;

    Generations(ModelCalls calls, ApiMetrics metrics) {
        this.calls = calls;
        this.metrics = metrics;
    }

    /** The model a request that names none runs on. */
    String defaultModel() {
        return calls.defaultModel();
    }

    /**
     * Keeps a finished answer: the first choice's text, its token counts, the backend that gave it
     * and the signed statement the answer carries for it; called before the answer's last event goes out. {@link #conversationId} names where it is
     * kept, for the answer to say.
     */
    interface Keeper {
        String conversationId();

        void keep(String text, Completion completion, Backend backend, SignedStatement provenance);
    }

    /** Runs {@code request} and answers it whole, or streamed. */
    void answer(Context ctx, ChatRequest request, boolean stream, boolean includeUsage, Wire wire) throws IOException {
        answer(ctx, request, stream, includeUsage, wire, null);
    }

    /** Runs {@code request} and answers it whole, or streamed; {@code keeper}, unless null, keeps the answer. */
    void answer(Context ctx, ChatRequest request, boolean stream, boolean includeUsage, Wire wire, Keeper keeper)
            throws IOException {
        answer(ctx, request, stream, includeUsage, wire, keeper, Map.of());
    }

    /**
     * As above; {@code closing} are top-level fields of the whole answer and of the stream's last
     * chunk (a document_library answer's references).
     */
    void answer(Context ctx, ChatRequest request, boolean stream, boolean includeUsage, Wire wire, Keeper keeper,
                Map<String, Object> closing) throws IOException {
        try (ModelCalls.Call call = open(ctx, request)) {
            answer(ctx, call, stream, includeUsage, wire, keeper, closing);
        }
    }

    /** A model call of the request's principal to run {@code request}; the caller closes it, which audits it. */
    ModelCalls.Call open(Context ctx, ChatRequest request) {
        Endpoint route = ctx.endpoints().matchedHttpEndpoint();
        ModelCalls.Call call;
        try {
            call = calls.open(Authentication.principal(ctx), ctx.ip(), route == null ? ctx.path() : route.path,
                    request);
        } catch (BackendException e) {
            throw ApiErrors.of(e);
        }
        call.headers().forEach(ctx::header);
        return call;
    }

    /** Has {@code call} run {@code shorter} instead of its request (see {@link ModelCalls.Call#retry}). */
    void retry(ModelCalls.Call call, ChatRequest shorter) {
        try {
            call.retry(shorter);
        } catch (BackendException e) {
            throw ApiErrors.of(e);
        }
    }

    /** Runs {@code call}'s request (one more start of it: a stored conversation may retry it shorter). */
    void answer(Context ctx, ModelCalls.Call call, boolean stream, boolean includeUsage, Wire wire, Keeper keeper)
            throws IOException {
        answer(ctx, call, stream, includeUsage, wire, keeper, Map.of());
    }

    /** As above; {@code closing} are top-level fields of the whole answer and of the stream's last chunk. */
    void answer(Context ctx, ModelCalls.Call call, boolean stream, boolean includeUsage, Wire wire, Keeper keeper,
                Map<String, Object> closing) throws IOException {
        long started = System.nanoTime();
        ChatRequest request = call.request();
        Generation generation;
        try {
            generation = call.start();
        } catch (BackendException e) {
            throw ApiErrors.of(e);
        }
        Answer answer = new Answer(wire.idPrefix() + randomId(), Instant.now().getEpochSecond(), request.model(),
                request.choices(), wire, keeper == null ? null : keeper.conversationId());
        Metered metered = new Metered(metrics, call, request.model(), started);
        Keep keep = keeper == null ? (text, completion, provenance) -> { }
                : (text, completion, provenance) -> keeper.keep(text, completion, call.backend(), provenance);
        if (stream) {
            stream(ctx, call, generation, answer, includeUsage, metered, keep, closing);
        } else {
            try {
                complete(ctx, call, generation, answer, metered, keep, closing);
            } catch (IOException | RuntimeException e) {
                call.failed();
                throw e;
            }
        }
    }

    /** A keeper bound to its backend. */
    private interface Keep {
        void keep(String text, Completion completion, SignedStatement provenance);
    }

    private static void complete(Context ctx, ModelCalls.Call call, Generation generation, Answer answer,
                                 Metered metered, Keep keep, Map<String, Object> closing) throws IOException {
        Whole whole = whole(call, generation, answer, metered, keep);
        whole.body().putAll(closing);
        ctx.header(SignedStatement.HEADER, whole.provenance().token());
        Json.respond(ctx, 200, whole.body());
    }

    /** A whole answer's body, and the statement of its first choice that the body and a header carry. */
    private record Whole(Map<String, Object> body, SignedStatement provenance) {}

    private static Whole whole(ModelCalls.Call call, Generation generation, Answer answer, Metered metered, Keep keep)
            throws IOException {
        Completion completion;
        try {
            completion = metered.drain(generation, answer);
        } catch (BackendException e) {
            throw ApiErrors.of(e);
        }
        List<Map<String, Object>> choices = new ArrayList<>();
        SignedStatement first = null;
        for (int i = 0; i < answer.choices; i++) {
            Map<String, Object> choice = answer.choice(i);
            SignedStatement statement = provenance(call, answer, choice);
            if (i == 0) {
                first = statement;
            } else {
                choice.put("provenance", statement.json());
            }
            choices.add(choice);
        }
        keep.keep(answer.texts.getFirst().toString(), completion, first);
        Map<String, Object> body = answer.header(answer.wire.object());
        body.put("choices", choices);
        body.put("usage", usage(completion));
        body.put("provenance", first.json());
        return new Whole(body, first);
    }

    /**
     * Runs {@code request} as {@code caller} through {@code endpoint} to its end, outside any HTTP
     * exchange (a batch job's line): the body a whole answer has, provenance included.
     */
    Map<String, Object> whole(Principal caller, String endpoint, ChatRequest request, Wire wire) throws IOException {
        ModelCalls.Call opened;
        try {
            opened = calls.open(caller, null, endpoint, request);
        } catch (BackendException e) {
            throw ApiErrors.of(e);
        }
        try (ModelCalls.Call call = opened) {
            long started = System.nanoTime();
            Generation generation;
            try {
                generation = call.start();
            } catch (BackendException e) {
                throw ApiErrors.of(e);
            }
            Answer answer = new Answer(wire.idPrefix() + randomId(), Instant.now().getEpochSecond(), request.model(),
                    request.choices(), wire, null);
            try {
                return whole(call, generation, answer, new Metered(metrics, call, request.model(), started),
                        (text, completion, statement) -> { }).body();
            } catch (IOException | RuntimeException e) {
                call.failed();
                throw e;
            }
        }
    }

    private static void stream(Context ctx, ModelCalls.Call call, Generation generation, Answer answer,
                               boolean includeUsage, Metered metered, Keep keep, Map<String, Object> closing) {
        EventStream events;
        try {
            events = new EventStream(ctx.res());
            for (int i = 0; i < answer.choices; i++) {
                Map<String, Object> opening = answer.wire.opening(i);
                if (opening != null) {
                    events.data(answer.chunk(opening));
                }
            }
        } catch (IOException e) {
            call.failed();
            abandon(generation);
            return;
        }
        int last = answer.choices - 1;
        GenerationSink sink = new GenerationSink() {
            @Override
            public void text(int choice, String text) throws IOException {
                answer.texts.get(choice).append(text);
                events.data(answer.chunk(answer.wire.chunkChoice(choice, text, null, false)));
            }

            @Override
            public void toolCalls(int choice, List<ToolCall> calls) throws IOException {
                answer.calls.put(choice, calls);
                events.data(answer.chunk(answer.wire.toolCallsChoice(choice, calls)));
            }

            @Override
            public void finished(int choice, FinishReason finish) throws IOException {
                answer.finishes.put(choice, finish);
                // The last finish waits for the usage, which Mistral's clients read from that chunk.
                if (choice != last) {
                    Map<String, Object> chunk = answer.chunk(answer.wire.chunkChoice(choice, null, finish,
                            answer.calls.containsKey(choice)));
                    chunk.put("provenance", provenance(call, answer, answer.choice(choice)).json());
                    events.data(chunk);
                }
            }
        };
        try {
            Completion completion = metered.drain(generation, sink);
            SignedStatement lastStatement = provenance(call, answer, answer.choice(last));
            keep.keep(answer.texts.getFirst().toString(), completion,
                    last == 0 ? lastStatement : provenance(call, answer, answer.choice(0)));
            Map<String, Object> finish = answer.chunk(answer.wire.chunkChoice(last, null, answer.finishes.get(last),
                    answer.calls.containsKey(last)));
            finish.put("provenance", lastStatement.json());
            finish.putAll(closing);
            if (includeUsage) {
                events.data(finish);
                Map<String, Object> usage = answer.header(answer.wire.chunkObject());
                usage.put("choices", List.of());
                usage.put("usage", usage(completion));
                usage.putAll(closing);
                events.data(usage);
            } else {
                finish.put("usage", usage(completion));
                events.data(finish);
            }
            events.done();
        } catch (IOException e) {
            call.failed();
            LOG.debug("client went away during a streamed answer; its generation is cancelled", e);
        } catch (BackendException e) {
            call.failed();
            endWithError(events, ApiErrors.of(e).body());
        } catch (RuntimeException e) {
            call.failed();
            endWithError(events, InternalErrors.event(ctx, e));
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
                public void toolCalls(int choice, List<ToolCall> calls) throws IOException {
                    throw new IOException("client went away");
                }

                @Override
                public void finished(int choice, FinishReason finish) throws IOException {
                    throw new IOException("client went away");
                }
            });
        } catch (IOException | RuntimeException expected) {
            LOG.debug("abandoned generation ended", expected);
        }
    }

    /**
     * The signed statement that a choice's text is AI-generated. It covers the text as the whole
     * answer's choice carries it (its content, or its function calls), read back from that
     * choice the way a verifier reads a saved response, so that the two cannot differ.
     */
    private static SignedStatement provenance(ModelCalls.Call call, Answer answer, Map<String, Object> choice) {
        return call.provenance(answer.id, answer.created, GeneratedText.ofChoice(Json.tree(choice)));
    }

    private static Map<String, Object> usage(Completion completion) {
        Map<String, Object> usage = new LinkedHashMap<>();
        usage.put("prompt_tokens", completion.promptTokens());
        usage.put("completion_tokens", completion.completionTokens());
        usage.put("total_tokens", completion.promptTokens() + completion.completionTokens());
        usage.put("prompt_tokens_details", Map.of("cached_tokens", completion.cachedTokens()));
        return usage;
    }

    /**
     * The end of the context is "length" too, as OpenAI reports it: Mistral's "model_length" is
     * unknown to OpenAI's SDK, which throws on it, and LangChain4j's Mistral client maps it to nothing.
     * An answer of function calls ends with "tool_calls".
     */
    static String finishReason(FinishReason finish, boolean calls) {
        if (calls && finish == FinishReason.STOP) {
            return "tool_calls";
        }
        return switch (finish) {
            case STOP -> "stop";
            case LENGTH, MODEL_LENGTH -> "length";
        };
    }

    /** The random part of an answer's id: 24 letters and digits. */
    static String randomId() {
        StringBuilder id = new StringBuilder();
        for (int i = 0; i < 24; i++) {
            id.append(ID_ALPHABET.charAt(RANDOM.nextInt(ID_ALPHABET.length())));
        }
        return id.toString();
    }

    /**
     * A generation drained under the metrics' eyes (its latencies piece by piece, its tokens once it
     * is done) and its call's: each piece counted, the tokens kept when it is whole.
     */
    private record Metered(ApiMetrics metrics, ModelCalls.Call call, String model, long started) {
        Completion drain(Generation generation, GenerationSink sink) throws IOException {
            Completion completion = generation.drain(metrics.timed(model, started, new GenerationSink() {
                @Override
                public void text(int choice, String text) throws IOException {
                    call.produced();
                    sink.text(choice, text);
                }

                @Override
                public void toolCalls(int choice, List<ToolCall> calls) throws IOException {
                    sink.toolCalls(choice, calls);
                }

                @Override
                public void finished(int choice, FinishReason finish) throws IOException {
                    sink.finished(choice, finish);
                }
            }));
            metrics.completed(model, completion);
            call.completed(completion);
            return completion;
        }
    }

    /** One answer being built: its identity, and for a non-streamed answer the text of each choice. */
    private static final class Answer implements GenerationSink {
        final String id;
        final long created;
        final String model;
        final int choices;
        final Wire wire;
        final List<StringBuilder> texts = new ArrayList<>();
        final Map<Integer, FinishReason> finishes = new HashMap<>();
        final Map<Integer, List<ToolCall>> calls = new HashMap<>();
        /** The stored conversation the answer goes to, or null. */
        final String conversationId;

        Answer(String id, long created, String model, int choices, Wire wire, String conversationId) {
            this.conversationId = conversationId;
            this.id = id;
            this.created = created;
            this.model = model;
            this.choices = choices;
            this.wire = wire;
            for (int i = 0; i < choices; i++) {
                texts.add(new StringBuilder());
            }
        }

        @Override
        public void text(int choice, String text) {
            texts.get(choice).append(text);
        }

        @Override
        public void toolCalls(int choice, List<ToolCall> toolCalls) {
            calls.put(choice, toolCalls);
        }

        @Override
        public void finished(int choice, FinishReason finish) {
            finishes.put(choice, finish);
        }

        Map<String, Object> header(String object) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("id", id);
            body.put("object", object);
            body.put("created", created);
            body.put("model", model);
            if (conversationId != null) {
                body.put("conversation_id", conversationId);
            }
            return body;
        }

        /** Choice {@code i} of the whole answer, as far as it has been generated. */
        Map<String, Object> choice(int i) {
            return wire.choice(i, texts.get(i).toString(), calls.get(i), finishes.get(i));
        }

        Map<String, Object> chunk(Map<String, Object> choice) {
            Map<String, Object> chunk = header(wire.chunkObject());
            chunk.put("choices", List.of(choice));
            return chunk;
        }
    }
}

package eu.souverain.server.gateway;

import eu.souverain.engine.chat.ChatTemplate;
import eu.souverain.engine.chat.ChatTemplateException;
import eu.souverain.engine.chat.PromptPart;
import eu.souverain.engine.model.Generator;
import eu.souverain.engine.model.InferenceState;
import eu.souverain.engine.model.LlamaModel;
import eu.souverain.engine.sample.JsonConstraint;
import eu.souverain.engine.sample.JsonSchema;
import eu.souverain.engine.sample.Sampler;
import eu.souverain.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one model's generations and embeddings one at a time, in arrival order, on one inference state and one
 * platform thread of its own.
 *
 * <p>One state for every request is what makes the prefix cache: the state keeps the tokens it
 * ran, and the next prompt that starts with them (the same system prompt, the next turn of a
 * conversation, the next choice of the same request) skips them. The forward pass is CPU-bound
 * and already spreads each matrix product over the state's worker threads, so it runs on a
 * platform thread that owns the state; the request's virtual thread only waits for the pieces
 * and writes them to its socket, so a slow client never holds up the model.
 *
 * <p>Embeddings take their turn in the same queue on the same state rather than a state of their
 * own: a second state would hold a second key/value cache as large as the context, and would run
 * its matrix products on the same cores as the generation anyway. An embedding overwrites the
 * state's cache, so the next chat prompt reuses only what it shares with the embedded text.
 */
final class ModelScheduler {

    private static final Logger LOG = LoggerFactory.getLogger(ModelScheduler.class);

    private final ModelInfo info;
    private final LlamaModel model;
    private final InferenceState state;
    private final Generator generator;
    private final BlockingQueue<Task> queue;
    private final int queueCapacity;
    private final Thread thread;
    private boolean accepting = true;
    private volatile boolean stopped;
    private volatile Task running;
    /** Jobs accepted and not yet complete, queued or running. */
    private final AtomicInteger unfinished = new AtomicInteger();
    private volatile RuntimeException cutOff;

    ModelScheduler(ModelInfo info, LlamaModel model, int threads, int queueCapacity) {
        this.info = info;
        this.model = model;
        this.state = model.newState(threads);
        this.generator = new Generator(model, state);
        this.queueCapacity = queueCapacity;
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.thread = Thread.ofPlatform().name("souverain-model-" + info.id()).start(this::runJobs);
    }

    ModelInfo info() {
        return info;
    }

    Generation submit(ChatRequest request) {
        Output output = output(request);
        Job job = new Job(request, prompt(request, output), output);
        enqueue(job);
        return job;
    }

    /**
     * How a request's answers are shaped: the schema their text must follow (null: free text), and
     * how function calls are written and read (null: no tools), a call being required or not.
     */
    private record Output(JsonSchema schema, ToolCallFormat calls, boolean callRequired) {}

    private Output output(ChatRequest request) {
        ChatRequest.Tools tools = request.tools();
        if (tools == null) {
            return new Output(request.format(), null, false);
        }
        ToolCallFormat format = ToolCallFormat.of(model.tokenizer());
        if (tools.choice() instanceof ChatRequest.ToolChoice.Auto) {
            return new Output(request.format(), format, false);
        }
        String only = tools.choice() instanceof ChatRequest.ToolChoice.Named named ? named.name() : null;
        try {
            // Parameters list the arguments a call may have: a model needs no others.
            return new Output(JsonSchema.compile(format.schema(tools.definitions(), only, tools.parallel()), true),
                    format, true);
        } catch (IllegalArgumentException e) {
            throw BackendException.invalid("tools", "the tools' parameters cannot constrain a call: " + e.getMessage());
        }
    }

    /** Embeds the request's inputs in turn with the generations; waits for the vectors. */
    Embeddings embed(EmbeddingRequest request) {
        List<int[]> inputs = new ArrayList<>();
        for (int i = 0; i < request.inputs().size(); i++) {
            int[] tokens = PromptTokens.raw(model.tokenizer(), request.inputs().get(i));
            if (tokens.length > state.capacity()) {
                throw BackendException.invalid("input " + i + " has " + tokens.length + " tokens; the context of model '"
                        + info.id() + "' holds " + state.capacity() + " tokens");
            }
            inputs.add(tokens);
        }
        EmbeddingJob job = new EmbeddingJob(inputs);
        enqueue(job);
        return job.await();
    }

    private void enqueue(Task task) {
        // Under the lock shutdown takes to stop accepting: no task slips in after its last look at the queue.
        synchronized (this) {
            if (!accepting) {
                throw BackendException.unavailable("the server is shutting down");
            }
            unfinished.incrementAndGet();
            if (!queue.offer(task)) {
                unfinished.decrementAndGet();
                throw BackendException.busy(info.id(), queueCapacity);
            }
        }
    }

    /** The prompt's tokens: a template's own text may hold control tokens, the client's text never. */
    private int[] prompt(ChatRequest request, Output output) {
        int[] tokens = switch (request.prompt()) {
            case ChatRequest.Text text -> PromptTokens.raw(model.tokenizer(), text.text());
            case ChatRequest.Fill fill -> {
                FillInTheMiddle fim = FillInTheMiddle.of(model.file().metadata(), model.tokenizer());
                if (fim == null) {
                    throw BackendException.invalid("suffix", "model '" + info.id() + "' cannot fill in the middle: its vocabulary"
                            + " has no fill-in-the-middle tokens (such as [PREFIX] [SUFFIX] [MIDDLE] or <|fim_prefix|>)");
                }
                yield fim.prompt(model.tokenizer(), fill.prefix(), fill.suffix());
            }
            case ChatRequest.Conversation conversation -> {
                List<Map<String, Object>> messages = conversation.messages();
                List<Map<String, Object>> tools = request.tools() != null ? request.tools().definitions() : null;
                List<PromptPart> parts;
                try {
                    if (tools != null && !mentionsTools(model.chatTemplate(), messages, tools)) {
                        messages = describeTools(messages, tools, output.calls());
                        tools = null;
                    }
                    parts = new ArrayList<>(model.chatTemplate().renderParts(messages, tools, true));
                } catch (ChatTemplateException e) {
                    throw BackendException.invalid("the chat template of model '" + info.id()
                            + "' cannot render these messages: " + e.getMessage());
                }
                if (conversation.assistantPrefix() != null) {
                    parts.add(new PromptPart(conversation.assistantPrefix(), false));
                }
                if (output.callRequired() && !output.calls().opening().isEmpty()) {
                    parts.add(new PromptPart(output.calls().opening(), true));
                }
                yield PromptTokens.chat(model.tokenizer(), parts);
            }
        };
        if (tokens.length >= state.capacity()) {
            throw BackendException.invalid("the prompt has " + tokens.length + " tokens; the context of model '"
                    + info.id() + "' holds " + state.capacity() + " tokens, answer included");
        }
        return tokens;
    }

    /** Whether the template writes the tools into the prompt (and renders these messages with them). */
    private static boolean mentionsTools(ChatTemplate template, List<Map<String, Object>> messages,
                                         List<Map<String, Object>> tools) {
        try {
            return !template.render(messages, tools, true).equals(template.render(messages, null, true));
        } catch (ChatTemplateException e) {
            return false;
        }
    }

    /**
     * The conversation for a template that knows nothing of tools: the tools described in the
     * system prompt, earlier calls written as the model writes them, their results as user
     * messages, and neighbours of the same role joined so that roles still alternate.
     */
    private static List<Map<String, Object>> describeTools(List<Map<String, Object>> messages,
                                                           List<Map<String, Object>> tools, ToolCallFormat format) {
        List<Map<String, Object>> plain = new ArrayList<>();
        String instructions = format.instructions(tools);
        for (Map<String, Object> message : messages) {
            String role = (String) message.get("role");
            String content = (String) message.get("content");
            if (role.equals("assistant") && message.get("tool_calls") instanceof List<?> calls && !calls.isEmpty()) {
                content = (content.isBlank() ? "" : content + "\n") + format.write(calls);
            } else if (role.equals("tool")) {
                Object name = message.get("name");
                Object id = message.get("tool_call_id");
                content = "Result of " + (name != null ? "function " + name : "the call")
                        + (id != null ? " (call " + id + ")" : "") + ":\n" + content;
                role = "user";
            }
            if (role.equals("system") && plain.isEmpty()) {
                content = instructions + "\n\n" + content;
            }
            if (!plain.isEmpty() && plain.getLast().get("role").equals(role)) {
                plain.getLast().put("content", plain.getLast().get("content") + "\n\n" + content);
            } else {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("role", role);
                entry.put("content", content);
                plain.add(entry);
            }
        }
        if (!plain.getFirst().get("role").equals("system")) {
            Map<String, Object> system = new LinkedHashMap<>();
            system.put("role", "system");
            system.put("content", instructions);
            plain.addFirst(system);
        }
        return plain;
    }

    ModelLoad load() {
        return new ModelLoad(queue.size(), running != null ? 1 : 0);
    }

    private void runJobs() {
        while (!stopped) {
            Task job;
            try {
                job = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (job != null) {
                running = job;
                // Read after publishing the job, so that shutdown either sees it running or is seen here.
                if (cutOff != null) {
                    job.cancel(cutOff);
                }
                job.run();
                running = null;
                unfinished.decrementAndGet();
            }
        }
    }

    void shutdown(Duration grace) {
        synchronized (this) {
            accepting = false;
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (unfinished.get() > 0 && System.nanoTime() < deadline) {
            sleep(20);
        }
        BackendException cut = BackendException.unavailable(
                "the server is shutting down; the generation was cut off");
        cutOff = cut;
        for (Task job; (job = queue.poll()) != null; ) {
            job.fail(cut);
        }
        Task current = running;
        if (current != null) {
            current.cancel(cut);
        }
        stopped = true;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Task job; (job = queue.poll()) != null; ) {
            job.fail(cut);
        }
    }

    void close() {
        state.close();
        model.close();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** What the model's thread runs in turn: a generation or an embedding. */
    private sealed interface Task permits Job, EmbeddingJob {
        void run();

        /** Ends it at its next step, with {@code reason} for the waiting request. */
        void cancel(RuntimeException reason);

        /** Ends it before it ran. */
        void fail(RuntimeException reason);
    }

    /** Texts to embed; the request's thread waits on {@code result}. */
    private final class EmbeddingJob implements Task {

        private final List<int[]> inputs;
        private final CompletableFuture<Embeddings> result = new CompletableFuture<>();
        private volatile RuntimeException cancelled;

        EmbeddingJob(List<int[]> inputs) {
            this.inputs = inputs;
        }

        @Override
        public void run() {
            try {
                List<float[]> vectors = new ArrayList<>();
                int tokens = 0;
                for (int[] input : inputs) {
                    if (cancelled != null) {
                        result.completeExceptionally(cancelled);
                        return;
                    }
                    vectors.add(model.embed(state, input));
                    tokens += input.length;
                }
                result.complete(new Embeddings(vectors, tokens));
            } catch (RuntimeException e) {
                LOG.error("embedding on model {} failed", info.id(), e);
                result.completeExceptionally(new IllegalStateException("the embedding failed: " + e, e));
            }
        }

        @Override
        public void cancel(RuntimeException reason) {
            cancelled = reason;
        }

        @Override
        public void fail(RuntimeException reason) {
            result.completeExceptionally(reason);
        }

        Embeddings await() {
            try {
                return result.get();
            } catch (InterruptedException e) {
                cancel(BackendException.unavailable("the request was interrupted"));
                Thread.currentThread().interrupt();
                throw BackendException.unavailable("interrupted while waiting for the embedding");
            } catch (ExecutionException e) {
                throw (RuntimeException) e.getCause();
            }
        }
    }

    /** A queued request; its pieces pass from the model's thread to the request's thread through {@code events}. */
    private final class Job implements Generation, Task {

        private sealed interface Event permits Text, Calls, Finished, Done, Failed {}

        private record Text(int choice, String text) implements Event {}

        private record Calls(int choice, List<ToolCall> calls) implements Event {}

        private record Finished(int choice, Generator.Finish finish) implements Event {}

        private record Done(Completion completion) implements Event {}

        private record Failed(RuntimeException error) implements Event {}

        /** Thrown on the model's thread to leave the decoding loop at the next piece. */
        private static final class Cancelled extends RuntimeException {
            private static final long serialVersionUID = 1L;

            Cancelled() {
                super(null, null, false, false);
            }
        }

        private final ChatRequest request;
        private final int[] prompt;
        private final Output output;
        private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        private volatile RuntimeException cancelled;

        Job(ChatRequest request, int[] prompt, Output output) {
            this.request = request;
            this.prompt = prompt;
            this.output = output;
        }

        @Override
        public void run() {
            try {
                int cached = 0;
                int generated = 0;
                for (int choice = 0; choice < request.choices(); choice++) {
                    checkCancelled();
                    if (request.prompt() instanceof ChatRequest.Conversation c
                            && c.assistantPrefix() != null && !c.assistantPrefix().isEmpty()) {
                        events.add(new Text(choice, c.assistantPrefix()));
                    }
                    Tokenizer tokenizer = model.tokenizer();
                    JsonConstraint constraint = output.schema() == null ? null : new JsonConstraint(output.schema(),
                            tokenizer, Math.max(1, Math.min(request.maxTokens(), state.capacity() - prompt.length)));
                    Sampler sampler = new Sampler(request.sampling().withSeed(request.sampling().seed() + choice),
                            model.config().vocabularySize(), constraint);
                    Answer answer = new Answer(choice);
                    Generator.Result result = generator.generate(prompt, sampler, request.maxTokens(), request.stops(),
                            text -> {
                                checkCancelled();
                                answer.text(text);
                            });
                    if (choice == 0) {
                        cached = result.cachedTokens();
                    }
                    generated += result.generatedTokens();
                    answer.finish(result.finish());
                }
                events.add(new Done(new Completion(prompt.length, cached, generated)));
            } catch (Cancelled c) {
                events.add(new Failed(cancelled));
            } catch (RuntimeException e) {
                LOG.error("generation on model {} failed", info.id(), e);
                events.add(new Failed(new IllegalStateException("the generation failed: " + e, e)));
            }
        }

        /**
         * One choice's text on its way to the events: passed on as it comes, or, while it may be a
         * function call, held until the answer is whole and read as calls or, failing that, as text.
         */
        private final class Answer {
            private final int choice;
            private final StringBuilder held = new StringBuilder();
            private boolean holding;

            Answer(int choice) {
                this.choice = choice;
                this.holding = output.calls() != null;
            }

            void text(String text) {
                if (!holding) {
                    events.add(new Text(choice, text));
                    return;
                }
                held.append(text);
                if (!output.callRequired() && !output.calls().mayOpen(held.toString())) {
                    holding = false;
                    events.add(new Text(choice, held.toString()));
                }
            }

            void finish(Generator.Finish finish) {
                if (holding) {
                    String answer = output.callRequired() ? output.calls().opening() + held : held.toString();
                    List<ToolCall> calls = finish == Generator.Finish.STOP ? output.calls().parse(answer) : null;
                    if (calls != null) {
                        events.add(new Calls(choice, request.tools().parallel() ? calls : calls.subList(0, 1)));
                    } else if (!held.isEmpty()) {
                        events.add(new Text(choice, held.toString()));
                    }
                }
                events.add(new Finished(choice, finish));
            }
        }

        private void checkCancelled() {
            if (cancelled != null) {
                throw new Cancelled();
            }
        }

        @Override
        public void cancel(RuntimeException reason) {
            cancelled = reason;
        }

        @Override
        public void fail(RuntimeException reason) {
            events.add(new Failed(reason));
        }

        @Override
        public Completion drain(GenerationSink sink) throws IOException {
            try {
                while (true) {
                    switch (events.take()) {
                        case Text t -> sink.text(t.choice(), t.text());
                        case Calls c -> sink.toolCalls(c.choice(), c.calls());
                        case Finished f -> sink.finished(f.choice(), f.finish());
                        case Done d -> {
                            return d.completion();
                        }
                        case Failed f -> throw f.error();
                    }
                }
            } catch (InterruptedException e) {
                cancel(BackendException.unavailable("the request was interrupted"));
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for the generation");
            } catch (IOException | RuntimeException e) {
                cancel(BackendException.unavailable("the client went away"));
                throw e;
            }
        }
    }
}

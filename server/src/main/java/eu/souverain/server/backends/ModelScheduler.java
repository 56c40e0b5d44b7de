package eu.souverain.server.backends;

import eu.souverain.engine.batch.BatchScheduler;
import eu.souverain.engine.batch.Sequence;
import eu.souverain.engine.batch.SequenceRequest;
import eu.souverain.engine.chat.ChatTemplateException;
import eu.souverain.engine.chat.PromptPart;
import eu.souverain.engine.model.FinishReason;
import eu.souverain.engine.model.Generator;
import eu.souverain.engine.model.InferenceState;
import eu.souverain.engine.model.LlamaModel;
import eu.souverain.engine.prompt.FillInTheMiddle;
import eu.souverain.engine.prompt.PromptTokens;
import eu.souverain.engine.prompt.ToolCall;
import eu.souverain.engine.prompt.ToolCallFormat;
import eu.souverain.engine.prompt.ToolPrompts;
import eu.souverain.engine.sample.JsonConstraint;
import eu.souverain.engine.sample.JsonSchema;
import eu.souverain.engine.sample.Sampler;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one model's requests on the engine's {@link BatchScheduler}: each choice of a request is
 * one sequence there, batched with every other running one, its prompt's shared prefix taken from
 * the prefix cache. This class only turns requests into token sequences and the sequences' text
 * into the events a request's thread drains to its socket, so a slow client never holds up the
 * model.
 *
 * <p>Embeddings share the queue's admission and timeout, and run beside the batch in an {@link
 * EmbeddingQueue}, one input at a time taken in turn from each owner.
 *
 * <p>Owners (see {@link RequestOwner}) share the queue: each holds at most its share of it (see
 * {@link QueueShares}), and the engine shares its places between them likewise. A batch job's
 * lines ({@link RequestOwner#inBackground}) run at the engine's background priority, outside the
 * queue's shares.
 */
final class ModelScheduler {

    private static final Logger LOG = LoggerFactory.getLogger(ModelScheduler.class);

    private final ModelInfo info;
    private final LlamaModel model;
    private final BatchScheduler engine;
    private final int threads;
    private final int queueCapacity;
    private final Duration requestTimeout;
    /** Requests accepted and not yet complete. */
    private final Set<Job> jobs = ConcurrentHashMap.newKeySet();
    private boolean accepting = true;
    private final EmbeddingQueue embeddings;

    /**
     * @param requestTimeout how long a request's generation may take, null for no limit
     */
    ModelScheduler(ModelInfo info, LlamaModel model, BatchScheduler.Settings settings, int queueCapacity,
                   Duration requestTimeout) {
        this.info = info;
        this.model = model;
        this.threads = settings.threads();
        this.queueCapacity = queueCapacity;
        this.requestTimeout = requestTimeout;
        this.engine = new BatchScheduler(model, settings);
        this.embeddings = new EmbeddingQueue(() -> {
            InferenceState state = model.newState(settings.threads());
            return new EmbeddingQueue.Worker() {
                @Override
                public float[] embed(int[] input) {
                    return model.embed(state, input);
                }

                @Override
                public void close() {
                    state.close();
                }
            };
        }, requestTimeout);
    }

    ModelInfo info() {
        return info;
    }

    /** A request checked against this model: its prompt's tokens and the shape of its answers. */
    record Plan(ModelScheduler scheduler, ChatRequest request, int[] prompt, Output output) implements PreparedRequest {
        @Override
        public PreparedRequest withMaxTokens(int maxTokens) {
            return new Plan(scheduler, request.withMaxTokens(maxTokens), prompt, output);
        }
    }

    Plan prepare(ChatRequest request) {
        Output output = output(request);
        int[] prompt = prompt(request, output);
        if (output.schema() != null) {
            requireFits(output, Math.max(1, Math.min(request.maxTokens(), engine.sequenceCapacity() - prompt.length)));
        }
        return new Plan(this, request, prompt, output);
    }

    Generation submit(Plan plan) {
        ChatRequest request = plan.request();
        int[] prompt = plan.prompt();
        Output output = plan.output();
        String owner = RequestOwner.current();
        boolean background = RequestOwner.background();
        // Under the lock shutdown takes to stop accepting: no request slips in after its last look.
        synchronized (this) {
            if (!accepting) {
                throw BackendException.unavailable("the server is shutting down");
            }
            // A batch job's lines wait beside the queue, not in it: their runner bounds them.
            if (!background) {
                admit(owner);
            }
            Job job = new Job(request, prompt, output, owner, background);
            jobs.add(job);
            job.start();
            return job;
        }
    }

    /** Throws BUSY unless {@code owner} is under its share of the queue, embeddings and generations alike. */
    private void admit(String owner) {
        Set<String> others = new HashSet<>(engine.waitingOwners());
        others.addAll(embeddings.owners());
        others.remove(owner);
        QueueShares.check(info.id(), queueCapacity, engine.waiting() + embeddings.waiting(),
                engine.waiting(owner) + embeddings.waiting(owner), others.size());
    }

    /** Refuses, before it is queued, a shape whose shortest answer could not fit in {@code budget} tokens. */
    private void requireFits(Output output, int budget) {
        try {
            JsonConstraint.requireFits(output.schema(), model.tokenizer(), budget);
        } catch (IllegalArgumentException e) {
            throw BackendException.invalid(output.calls() != null ? "tools" : "response_format",
                    e.getMessage() + " (an answer of " + budget + " tokens of model '" + info.id() + "')");
        }
    }

    /**
     * How a request's answers are shaped: the schema their text must follow (null: free text), and
     * how function calls are written and read (null: no tools), a call being required or not.
     */
    record Output(JsonSchema schema, ToolCallFormat calls, boolean callRequired) {}

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

    /** Queues the request's inputs beside the generations and waits for their vectors. */
    /** An embeddings request checked against this model: its inputs' tokens. */
    record Inputs(ModelScheduler scheduler, EmbeddingRequest request, List<int[]> tokens) implements PreparedEmbeddings {}

    Inputs prepare(EmbeddingRequest request) {
        int context = model.config().contextLength();
        List<int[]> inputs = EmbeddingQueue.tokens(request.inputs(), text -> PromptTokens.raw(model.tokenizer(), text),
                context, (i, length) -> "input " + i + " has " + length + " tokens; the context of model '" + info.id()
                        + "' holds " + context + " tokens");
        return new Inputs(this, request, inputs);
    }

    /** Queues the inputs beside the generations and waits for their vectors. */
    Embeddings embed(Inputs prepared) {
        String owner = RequestOwner.current();
        CompletableFuture<Embeddings> result;
        synchronized (this) {
            if (!accepting) {
                throw BackendException.unavailable("the server is shutting down");
            }
            admit(owner);
            result = embeddings.add(owner, RequestOwner.background(), prepared.tokens());
        }
        try {
            return result.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof TimeoutException timeout) {
                throw BackendException.unavailable(timeout.getMessage());
            }
            if (e.getCause() instanceof BackendException refused) {
                throw refused;
            }
            LOG.error("embedding on model {} failed", info.id(), e.getCause());
            throw new IllegalStateException("the embedding failed: " + e.getCause(), e.getCause());
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
                if (!conversation.trimOldestTurns()) {
                    yield chat(request, output, conversation, conversation.messages());
                }
                int[] kept = OldestTurns.leftOut(conversation.messages(),
                        messages -> chat(request, output, conversation, messages),
                        rendered -> rendered.length < engine.sequenceCapacity());
                // Not even the latest message fits: refused below, with its own length.
                yield kept != null ? kept : chat(request, output, conversation, List.of(conversation.messages().getLast()));
            }
        };
        if (tokens.length == 0) {
            throw BackendException.invalid("the prompt is empty");
        }
        if (tokens.length >= engine.sequenceCapacity()) {
            throw BackendException.contextExceeded("the prompt has " + tokens.length + " tokens; the context of model '"
                    + info.id() + "' holds " + engine.sequenceCapacity() + " tokens, answer included");
        }
        return tokens;
    }

    /** The tokens of {@code messages} rendered by the model's chat template, as {@code conversation} asks. */
    private int[] chat(ChatRequest request, Output output, ChatRequest.Conversation conversation,
                       List<Map<String, Object>> messages) {
        List<Map<String, Object>> tools = request.tools() != null ? request.tools().definitions() : null;
        List<PromptPart> parts;
        try {
            if (tools != null && !ToolPrompts.mentionsTools(model.chatTemplate(), messages, tools)) {
                messages = ToolPrompts.describeTools(messages, tools, output.calls());
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
        return PromptTokens.chat(model.tokenizer(), parts);
    }

    ModelLoad load() {
        return new ModelLoad(engine.waiting() + embeddings.waiting(), engine.running(), engine.kvBlocksUsed(), engine.kvBlocksCached(),
                engine.kvBlocksFree(), engine.cachedPromptTokens());
    }

    /** Stops accepting, lets accepted requests finish for up to {@code grace}, then cuts off the rest. */
    void shutdown(Duration grace) {
        synchronized (this) {
            accepting = false;
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while ((!jobs.isEmpty() || embeddings.waiting() > 0) && System.nanoTime() < deadline) {
            sleep(20);
        }
        BackendException cut = BackendException.unavailable("the server is shutting down; the generation was cut off");
        for (Job job : jobs) {
            job.cancel(cut);
        }
        embeddings.close(BackendException.unavailable("the server is shutting down; the embedding was cut off"));
        engine.close();
    }

    void close() {
        model.close();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** An accepted request: one engine sequence per choice, whose pieces pass to the request's thread through {@code events}. */
    private final class Job implements Generation {

        private sealed interface Event permits Text, Calls, Finished, Done, Failed {}

        private record Text(int choice, String text) implements Event {}

        private record Calls(int choice, List<ToolCall> calls) implements Event {}

        private record Finished(int choice, FinishReason finish) implements Event {}

        private record Done(Completion completion) implements Event {}

        private record Failed(RuntimeException error) implements Event {}

        private final ChatRequest request;
        private final int[] prompt;
        private final Output output;
        private final String owner;
        private final boolean background;
        private final List<Answer> answers = new ArrayList<>();
        private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        private final List<Sequence> sequences = new ArrayList<>();
        private volatile RuntimeException cancelled;
        // Guarded by this job's lock: sequences end on the engine's thread.
        private int unfinished;
        private int cached;
        private int generated;
        private boolean over;

        Job(ChatRequest request, int[] prompt, Output output, String owner, boolean background) {
            this.request = request;
            this.prompt = prompt;
            this.output = output;
            this.owner = owner;
            this.background = background;
        }

        void start() {
            synchronized (this) {
                unfinished = request.choices();
                for (int choice = 0; choice < request.choices(); choice++) {
                    if (request.prompt() instanceof ChatRequest.Conversation c
                            && c.assistantPrefix() != null && !c.assistantPrefix().isEmpty()) {
                        events.add(new Text(choice, c.assistantPrefix()));
                    }
                    JsonConstraint constraint = output.schema() == null ? null : new JsonConstraint(output.schema(),
                            model.tokenizer(),
                            Math.max(1, Math.min(request.maxTokens(), engine.sequenceCapacity() - prompt.length)));
                    Sampler sampler = new Sampler(request.sampling().withSeed(request.sampling().seed() + choice),
                            model.config().vocabularySize(), constraint);
                    int index = choice;
                    Answer answer = new Answer(choice);
                    answers.add(answer);
                    Sequence sequence;
                    try {
                        sequence = engine.submit(new SequenceRequest(prompt, sampler, request.maxTokens(), request.stops(),
                                requestTimeout, answer::text, owner, background));
                    } catch (IllegalStateException e) {
                        end(BackendException.unavailable("the server is shutting down"));
                        throw BackendException.unavailable("the server is shutting down");
                    }
                    sequences.add(sequence);
                    sequence.result().whenComplete((result, error) -> ended(index, result, error));
                }
            }
        }

        private synchronized void ended(int choice, Generator.Result result, Throwable error) {
            if (over) {
                return;
            }
            if (error != null) {
                end(failure(error instanceof CompletionException ? error.getCause() : error));
                return;
            }
            if (choice == 0) {
                cached = result.cachedTokens();
            }
            generated += result.generatedTokens();
            answers.get(choice).finish(result.finish());
            if (--unfinished == 0) {
                over = true;
                events.add(new Done(new Completion(prompt.length, cached, generated)));
                jobs.remove(this);
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

            void finish(FinishReason finish) {
                if (holding) {
                    String answer = output.callRequired() ? output.calls().opening() + held : held.toString();
                    List<ToolCall> calls = finish == FinishReason.STOP ? output.calls().parse(answer) : null;
                    if (calls != null) {
                        events.add(new Calls(choice, request.tools().parallel() ? calls : calls.subList(0, 1)));
                    } else if (!held.isEmpty()) {
                        events.add(new Text(choice, held.toString()));
                    }
                }
                events.add(new Finished(choice, finish));
            }
        }

        private RuntimeException failure(Throwable cause) {
            if (cancelled != null) {
                return cancelled;
            }
            if (cause instanceof TimeoutException) {
                return BackendException.unavailable(cause.getMessage());
            }
            if (cause instanceof CancellationException) {
                return BackendException.unavailable("the generation was cancelled");
            }
            LOG.error("generation on model {} failed", info.id(), cause);
            return new IllegalStateException("the generation failed: " + cause, cause);
        }

        /** Ends the request with {@code error}, stopping its other choices. */
        private synchronized void end(RuntimeException error) {
            if (over) {
                return;
            }
            over = true;
            events.add(new Failed(error));
            for (Sequence s : sequences) {
                s.cancel();
            }
            jobs.remove(this);
        }

        /** Ends it at the engine's next step, with {@code reason} for the waiting request. */
        void cancel(RuntimeException reason) {
            cancelled = reason;
            end(reason);
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

package eu.souverain.engine.batch;

import eu.souverain.engine.model.Batch;
import eu.souverain.engine.model.Decoding;
import eu.souverain.engine.model.FinishReason;
import eu.souverain.engine.model.Generator;
import eu.souverain.engine.model.KVBlocks;
import eu.souverain.engine.model.KVCache;
import eu.souverain.engine.model.LlamaConfig;
import eu.souverain.engine.model.LlamaModel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Continuous batching of one model's generations on one thread of its own. Each step runs one
 * decode pass for every sequence past its prompt, reading the weights once for all of them, then
 * up to {@link Settings#prefillTokensPerStep} tokens of the prompts still being read, so that a
 * long prompt never stalls the others; sequences join and leave between steps.
 *
 * <p>The keys and values live in one pool of blocks shared by every sequence, sized by a memory
 * budget. A sequence is admitted when one of the {@link Settings#maxSequences} places is open and
 * the pool can give it the blocks for its prompt and its whole answer (so it never runs out
 * half-way); its prompt's leading blocks come from the prefix cache where another prompt computed
 * them (see {@link KVBlockPool}). Places are shared fairly between the requests' owners: the next
 * admitted is the oldest waiting sequence of the owner with the fewest running, so that an owner
 * who floods the queue gets its share of the places and no more while others wait.
 *
 * <p>Background sequences (a batch job's, {@link SequenceRequest#background}) fill the places that
 * interactive ones leave: any interactive sequence waiting is admitted before them, a quarter of
 * the places (at least one, when there are two or more) is kept free for interactive ones, and
 * while an interactive prompt is read background sequences pause, so that its first token comes
 * as fast as on an idle model. The background ones are neither counted
 * in an owner's waiting sequences nor in {@link #waiting()}: a job's own runner bounds them.
 *
 * <p>A sequence whose sampling fails (its constraint, its sampler, its text callback) ends alone
 * with that failure; the others in the batch go on untouched.
 *
 * <p>A sequence produces exactly the tokens it would produce alone: each row of a decode pass is
 * computed as if it were the only one, a prompt leaves the same keys, values and logits however it
 * is cut in chunks, and each sequence samples with its own sampler.
 */
public final class BatchScheduler implements AutoCloseable {

    /**
     * @param threads worker threads for each pass's matrix products
     * @param maxSequences sequences generating at once
     * @param kvCacheBytes the memory of the key/value block pool
     * @param prefillTokensPerStep prompt tokens read per step, between two decode passes
     */
    public record Settings(int threads, int maxSequences, long kvCacheBytes, int prefillTokensPerStep) {
        public Settings {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1, was " + threads);
            }
            if (maxSequences < 1) {
                throw new IllegalArgumentException("maxSequences must be at least 1, was " + maxSequences);
            }
            if (kvCacheBytes < 1) {
                throw new IllegalArgumentException("the key/value cache needs some memory, was " + kvCacheBytes + " bytes");
            }
            if (prefillTokensPerStep < 1) {
                throw new IllegalArgumentException("prefillTokensPerStep must be at least 1, was " + prefillTokensPerStep);
            }
        }

        /** Prompt tokens per step by default: two prefill passes. */
        public static final int DEFAULT_PREFILL_TOKENS = 2 * Batch.PREFILL_ROWS;

        /** Room for four whole contexts, but no more than 4 GiB. */
        public static long defaultKvCacheBytes(LlamaConfig config) {
            long context = KVBlocks.bytesPerBlock(config)
                    * ((config.contextLength() + KVBlocks.POSITIONS - 1) / KVBlocks.POSITIONS);
            return Math.min(4 * context, 4L << 30);
        }
    }

    /**
     * What one step did: rows decoded, prompt tokens read, and the sequences still reading their
     * prompt after it.
     */
    public record Step(long number, int decoded, int prefilled, int prefilling) {}

    private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final LlamaModel model;
    private final Settings settings;
    private final KVBlockPool pool;
    private final Batch batch;
    private final int sequenceCapacity;
    private final Consumer<Step> onStep;
    private final ConcurrentLinkedQueue<Sequence> incoming = new ConcurrentLinkedQueue<>();
    private final AtomicInteger incomingCount = new AtomicInteger();
    private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
    private final List<Sequence> running = new ArrayList<>();
    /** Running sequences per owner; only the scheduler's thread touches it. */
    private final Map<String, Integer> runningByOwner = new HashMap<>();
    /** Sequences submitted and not yet admitted or dropped, per owner, for any thread to read. */
    private final ConcurrentHashMap<String, AtomicInteger> waitingByOwner = new ConcurrentHashMap<>();
    /** Background sequences submitted and not yet admitted or dropped. */
    private final AtomicInteger backgroundWaiting = new AtomicInteger();
    /** Places a background sequence may not take: they are kept for interactive ones. */
    private final int reserved;
    private final Thread thread;
    private volatile boolean closed;

    // Figures the scheduler's thread publishes after each step, for any thread to read.
    private volatile int waitingCount;
    private volatile int runningCount;
    private volatile int blocksUsed;
    private volatile int blocksCachedIdle;
    private volatile long steps;
    private volatile long promptTokens;
    private volatile long cachedPromptTokens;

    public BatchScheduler(LlamaModel model, Settings settings) {
        this(model, settings, null);
    }

    /** As {@link #BatchScheduler(LlamaModel, Settings)}, telling {@code onStep} (on the scheduler's thread) what each step did. */
    public BatchScheduler(LlamaModel model, Settings settings, Consumer<Step> onStep) {
        this.model = model;
        this.settings = settings;
        this.onStep = onStep;
        LlamaConfig config = model.config();
        long blocks = settings.kvCacheBytes() / KVBlocks.bytesPerBlock(config);
        if (blocks < 1) {
            throw new IllegalArgumentException("a key/value cache of " + settings.kvCacheBytes()
                    + " bytes holds no block of " + KVBlocks.POSITIONS + " positions of this model ("
                    + KVBlocks.bytesPerBlock(config) + " bytes)");
        }
        this.pool = new KVBlockPool(new KVBlocks(config, (int) Math.min(blocks, Integer.MAX_VALUE / 2)));
        this.sequenceCapacity = (int) Math.min(config.contextLength(), (long) pool.total() * KVBlocks.POSITIONS);
        this.batch = model.newBatch(Math.max(settings.maxSequences(), Batch.PREFILL_ROWS), settings.maxSequences(),
                settings.threads());
        this.reserved = settings.maxSequences() < 2 ? 0 : Math.max(1, settings.maxSequences() / 4);
        this.thread = Thread.ofPlatform().name("souverain-batch").start(this::loop);
    }

    /**
     * Queues a generation; it starts when there is room for it. Throws IllegalArgumentException if
     * its prompt can never fit: it must leave a position for the answer within the context length
     * and the key/value cache.
     */
    public Sequence submit(SequenceRequest request) {
        if (request.prompt().length >= sequenceCapacity) {
            throw new IllegalArgumentException("the prompt has " + request.prompt().length + " tokens; a sequence holds "
                    + sequenceCapacity + " tokens, answer included ("
                    + (sequenceCapacity < model.config().contextLength() ? "the key/value cache's budget"
                    : "the context length") + ")");
        }
        Sequence sequence = new Sequence(this, request, new KVCache(pool.store(), sequenceCapacity),
                new Decoding(model.tokenizer(), request.sampler(), request.maxTokens(), request.stops(), sequenceCapacity,
                        request.onText()), model.config().vocabularySize());
        // Under the lock the scheduler's thread takes for its last look at the queue: nothing is left in it.
        synchronized (incoming) {
            if (closed) {
                throw new IllegalStateException("the scheduler is closed");
            }
            if (request.background()) {
                backgroundWaiting.incrementAndGet();
            } else {
                incomingCount.incrementAndGet();
                waitingByOwner.computeIfAbsent(request.owner(), o -> new AtomicInteger()).incrementAndGet();
            }
            incoming.add(sequence);
        }
        wake();
        return sequence;
    }

    /** Positions one sequence may reach, prompt and answer: the context length, or less if the cache is smaller. */
    public int sequenceCapacity() {
        return sequenceCapacity;
    }

    /** Interactive sequences submitted and not yet admitted. */
    public int waiting() {
        return waitingCount + incomingCount.get();
    }

    /** Background sequences submitted and not yet admitted. */
    public int backgroundWaiting() {
        return backgroundWaiting.get();
    }

    /** Of {@link #waiting()}, the sequences of {@code owner}. */
    public int waiting(String owner) {
        AtomicInteger count = waitingByOwner.get(owner);
        return count == null ? 0 : count.get();
    }

    /** The owners with sequences submitted and not yet admitted. */
    public Set<String> waitingOwners() {
        return Set.copyOf(waitingByOwner.keySet());
    }

    /** Sequences admitted and not yet finished. */
    public int running() {
        return runningCount;
    }

    public int kvBlocksTotal() {
        return pool.total();
    }

    /** Blocks that running sequences hold. */
    public int kvBlocksUsed() {
        return blocksUsed;
    }

    /** Blocks that only the prefix cache holds: they are evicted when the pool needs them. */
    public int kvBlocksCached() {
        return blocksCachedIdle;
    }

    /** Blocks holding nothing. */
    public int kvBlocksFree() {
        return pool.total() - blocksUsed - blocksCachedIdle;
    }

    /** Steps run so far. */
    public long steps() {
        return steps;
    }

    /** Prompt tokens of every admitted sequence. */
    public long promptTokens() {
        return promptTokens;
    }

    /** Of {@link #promptTokens()}, those the prefix cache held. */
    public long cachedPromptTokens() {
        return cachedPromptTokens;
    }

    /** Stops the scheduler: whatever has not finished ends with a CancellationException. */
    @Override
    public void close() {
        closed = true;
        wake();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        batch.close();
    }

    void wake() {
        LockSupport.unpark(thread);
    }

    private void loop() {
        while (!closed) {
            int arrived = 0;
            for (Sequence s; (s = incoming.poll()) != null; ) {
                waiting.add(s);
                arrived += s.request.background() ? 0 : 1;
            }
            dropCancelledAndLate();
            admit();
            publish();
            // Counted as incoming until published as waiting or running, so that waiting() never misses them.
            incomingCount.addAndGet(-arrived);
            if (running.isEmpty()) {
                LockSupport.parkNanos(this, IDLE_NANOS);
                continue;
            }
            try {
                step();
            } catch (RuntimeException | Error e) {
                IllegalStateException failure = new IllegalStateException("a batched step failed: " + e, e);
                for (Sequence s : List.copyOf(running)) {
                    fail(s, failure);
                }
            }
            publish();
        }
        CancellationException shut = new CancellationException("the scheduler is closed");
        synchronized (incoming) {
            for (Sequence s; (s = incoming.poll()) != null; ) {
                if (!s.request.background()) {
                    incomingCount.decrementAndGet();
                }
                waiting.add(s);
            }
        }
        for (Sequence s : List.copyOf(running)) {
            fail(s, shut);
        }
        for (Sequence s : waiting) {
            leftWaiting(s);
            s.result().completeExceptionally(shut);
        }
        waiting.clear();
        publish();
    }

    private void publish() {
        int interactive = 0;
        for (Sequence s : waiting) {
            interactive += s.request.background() ? 0 : 1;
        }
        waitingCount = interactive;
        runningCount = running.size();
        blocksUsed = pool.used();
        blocksCachedIdle = pool.cachedIdle();
    }

    private void dropCancelledAndLate() {
        long now = System.nanoTime();
        for (Sequence s : List.copyOf(running)) {
            if (s.cancelled()) {
                fail(s, new CancellationException("the generation was cancelled"));
            } else if (now - s.deadline > 0) {
                fail(s, late(s));
            }
        }
        waiting.removeIf(s -> {
            if (s.cancelled()) {
                leftWaiting(s);
                s.result().completeExceptionally(new CancellationException("the generation was cancelled"));
                return true;
            }
            if (now - s.deadline > 0) {
                leftWaiting(s);
                s.result().completeExceptionally(late(s));
                return true;
            }
            return false;
        });
    }

    private void leftWaiting(Sequence s) {
        if (s.request.background()) {
            backgroundWaiting.decrementAndGet();
            return;
        }
        waitingByOwner.computeIfPresent(s.request.owner(), (owner, count) -> count.decrementAndGet() == 0 ? null : count);
    }

    /**
     * The sequence to admit next: an interactive one before any background one, then the oldest of
     * the owner with the fewest running sequences, the oldest of all among equals; a background one
     * only while more than the reserved places are open. Null when none may go.
     */
    private Sequence nextToAdmit() {
        Sequence chosen = null;
        int fewest = Integer.MAX_VALUE;
        boolean backgroundMayGo = running.size() < settings.maxSequences() - reserved;
        for (Sequence s : waiting) {
            boolean background = s.request.background();
            if (background && !backgroundMayGo) {
                continue;
            }
            int owned = runningByOwner.getOrDefault(s.request.owner(), 0);
            boolean better = chosen == null || (background == chosen.request.background() ? owned < fewest : !background);
            if (better) {
                chosen = s;
                fewest = owned;
            }
        }
        return chosen;
    }

    private static TimeoutException late(Sequence s) {
        return new TimeoutException("the generation ran past its timeout of " + s.request.timeout().toMillis() + " ms");
    }

    /**
     * Admits waiting sequences, fairly between owners, while there are places and blocks. When the
     * next one's blocks are not free, none passes it, so that a long prompt is not starved by short ones.
     */
    private void admit() {
        while (!waiting.isEmpty() && running.size() < settings.maxSequences()) {
            Sequence s = nextToAdmit();
            if (s == null) {
                return;
            }
            int[] prompt = s.request.prompt();
            long positions = Math.min(Math.max(prompt.length, (long) prompt.length + s.request.maxTokens() - 1),
                    sequenceCapacity);
            int blocks = (int) ((positions + KVBlocks.POSITIONS - 1) / KVBlocks.POSITIONS);
            // The last prompt token always runs, for the logits of the first answer token.
            int cached = pool.allocate(s.cache, prompt, prompt.length - 1, blocks);
            if (cached < 0) {
                return;
            }
            waiting.remove(s);
            leftWaiting(s);
            runningByOwner.merge(s.request.owner(), 1, Integer::sum);
            s.tokens = Arrays.copyOf(prompt, blocks * KVBlocks.POSITIONS);
            s.cached = cached;
            s.computed = cached;
            s.registeredHash = KVBlockPool.root();
            s.prefilling = true;
            s.admitted = System.nanoTime();
            running.add(s);
            promptTokens += prompt.length;
            cachedPromptTokens += cached;
        }
    }

    private void step() {
        // While an interactive prompt is read, background sequences pause: the steps up to its
        // first token are no longer for them.
        boolean interactiveReading = false;
        for (Sequence s : running) {
            interactiveReading |= s.prefilling && !s.request.background();
        }
        int decoded = decode(interactiveReading);
        int prefilled = prefill(interactiveReading);
        steps++;
        if (onStep != null) {
            int prefilling = 0;
            for (Sequence s : running) {
                prefilling += s.prefilling ? 1 : 0;
            }
            onStep.accept(new Step(steps, decoded, prefilled, prefilling));
        }
    }

    /** One decode pass over every sequence past its prompt (but background ones, if paused); returns how many there were. */
    private int decode(boolean pauseBackground) {
        batch.clear();
        List<Sequence> rows = new ArrayList<>();
        for (Sequence s : running) {
            if (!s.prefilling && !(pauseBackground && s.request.background())) {
                batch.add(s.cache, s.decoding.token(), s.decoding.position(), true);
                rows.add(s);
            }
        }
        if (rows.isEmpty()) {
            return 0;
        }
        model.decode(batch);
        for (int i = 0; i < rows.size(); i++) {
            Sequence s = rows.get(i);
            s.tokens[s.decoding.position()] = s.decoding.token();
            s.computed = s.decoding.position() + 1;
            offerToPrefixCache(s);
            batch.logits(i, s.logits);
            next(s);
        }
        return rows.size();
    }

    /**
     * A chunk of a prompt in a prefill pass: rows of {@code s} up to position {@code to}; the
     * logit slot of the prompt's last token if the chunk holds it, otherwise -1.
     */
    private record Chunk(Sequence s, int to, int slot) {}

    /**
     * Prefill passes over up to the step's budget of prompt tokens, oldest sequence first, but
     * background ones if paused; returns the tokens read.
     */
    private int prefill(boolean pauseBackground) {
        int budget = settings.prefillTokensPerStep();
        batch.clear();
        List<Chunk> chunks = new ArrayList<>();
        for (Sequence s : List.copyOf(running)) {
            if (pauseBackground && s.request.background()) {
                continue;
            }
            int[] prompt = s.request.prompt();
            int from = s.computed;
            while (s.prefilling && from < prompt.length && budget > 0) {
                if (batch.size() == Batch.PREFILL_ROWS) {
                    runPrefill(chunks);
                }
                int to = from + Math.min(Math.min(prompt.length - from, budget), Batch.PREFILL_ROWS - batch.size());
                int slot = -1;
                for (int p = from; p < to; p++) {
                    int row = batch.add(s.cache, prompt[p], p, p == prompt.length - 1);
                    slot = Math.max(slot, row);
                }
                chunks.add(new Chunk(s, to, slot));
                budget -= to - from;
                from = to;
            }
        }
        if (batch.size() > 0) {
            runPrefill(chunks);
        }
        return settings.prefillTokensPerStep() - budget;
    }

    private void runPrefill(List<Chunk> chunks) {
        model.prefill(batch);
        for (Chunk c : chunks) {
            Sequence s = c.s();
            s.computed = c.to();
            offerToPrefixCache(s);
            if (c.slot() >= 0) {
                batch.logits(c.slot(), s.logits);
                promptRead(s);
            }
        }
        batch.clear();
        chunks.clear();
    }

    /**
     * Registers the blocks whose keys and values are now computed, prompt or answer, and the
     * prompt's last part once it is: the next turn of a conversation, whose prompt holds this
     * one's prompt and answer, then computes only its new message.
     */
    private void offerToPrefixCache(Sequence s) {
        while ((s.registeredBlocks + 1) * KVBlocks.POSITIONS <= s.computed) {
            s.registeredHash = pool.register(s.cache, s.registeredBlocks, s.tokens, KVBlocks.POSITIONS, s.registeredHash);
            s.registeredBlocks++;
        }
        if (s.computed == s.request.prompt().length) {
            offerLastPart(s);
        }
    }

    /** Registers the computed positions of the sequence's last, partly filled block. */
    private void offerLastPart(Sequence s) {
        int rest = s.computed - s.registeredBlocks * KVBlocks.POSITIONS;
        if (rest > 0) {
            pool.register(s.cache, s.registeredBlocks, s.tokens, rest, s.registeredHash);
        }
    }

    /** The prompt is in the cache and its last logits in the sequence: on to the first token. */
    private void promptRead(Sequence s) {
        s.prefilling = false;
        s.promptDone = System.nanoTime();
        try {
            s.decoding.prompt(s.request.prompt());
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            fail(s, e);
            return;
        }
        next(s);
    }

    /** Samples the next token from the sequence's logits: the sequence ends, or the token runs in the next decode step. */
    private void next(Sequence s) {
        FinishReason finish;
        try {
            finish = s.decoding.next(s.logits);
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            // This sequence's own sampling failed (an allocation of its constraint included): it ends, the batch goes on.
            fail(s, e);
            return;
        }
        if (finish != null) {
            long now = System.nanoTime();
            offerLastPart(s);
            release(s);
            s.result().complete(new Generator.Result(s.request.prompt().length, s.cached, s.decoding.generated(), finish,
                    s.promptDone - s.admitted, now - s.promptDone));
        }
    }

    private void fail(Sequence s, Throwable reason) {
        release(s);
        s.result().completeExceptionally(reason);
    }

    /** Frees the sequence's place and blocks, and publishes the figures before its result completes. */
    private void release(Sequence s) {
        if (running.remove(s)) {
            runningByOwner.computeIfPresent(s.request.owner(), (owner, count) -> count == 1 ? null : count - 1);
        }
        pool.release(s.cache);
        publish();
    }
}

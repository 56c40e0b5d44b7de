package eu.souverain.server.backends;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One model's embeddings, computed on a thread of their own by a worker of their own (for a chat
 * model, an inference state of its own: they never touch the sequences' key/value blocks), one
 * input at a time, taken in turn from each owner with inputs waiting: an owner's 60,000 inputs
 * delay another's single input by one input, not by all of them. Inputs of background requests (a
 * batch job's lines, {@link RequestOwner#inBackground}) are taken only while no interactive input
 * waits. A request whose timeout passes ends with a TimeoutException at its next turn.
 */
final class EmbeddingQueue {

    /** Tokens of one embeddings request, all inputs together. */
    static final int MAX_REQUEST_TOKENS = 65_536;

    /**
     * Each input's tokens, by {@code tokenize}; refused past {@code perInput} tokens (in the words
     * {@code tooLong} gives the input's index and length) or past {@link #MAX_REQUEST_TOKENS} in all.
     */
    static List<int[]> tokens(List<String> inputs, Function<String, int[]> tokenize, int perInput,
                              BiFunction<Integer, Integer, String> tooLong) {
        List<int[]> tokens = new ArrayList<>();
        long total = 0;
        for (int i = 0; i < inputs.size(); i++) {
            int[] input = tokenize.apply(inputs.get(i));
            if (input.length > perInput) {
                throw BackendException.invalid("input", tooLong.apply(i, input.length));
            }
            total += input.length;
            if (total > MAX_REQUEST_TOKENS) {
                throw BackendException.invalid("input", "the inputs have more than " + MAX_REQUEST_TOKENS
                        + " tokens in all (past input " + i + "); at most " + MAX_REQUEST_TOKENS + " per request are allowed");
            }
            tokens.add(input);
        }
        return tokens;
    }

    /** What computes the vectors, on the queue's thread only; closed when that thread ends. */
    interface Worker extends AutoCloseable {

        /** The unit-length vector of one input's tokens. */
        float[] embed(int[] input);

        @Override
        void close();
    }

    /** A request's inputs and the vectors computed so far; {@code result} completes with them all. */
    private static final class Job {
        final String owner;
        final boolean background;
        final List<int[]> inputs;
        final long deadline;
        final List<float[]> vectors = new ArrayList<>();
        final CompletableFuture<Embeddings> result = new CompletableFuture<>();
        int taken;
        int tokens;

        Job(String owner, boolean background, List<int[]> inputs, Duration timeout) {
            this.owner = owner;
            this.background = background;
            this.inputs = inputs;
            this.deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        }
    }

    private final Supplier<Worker> workers;
    private final Duration timeout;
    // Guarded by this: each owner's jobs, in the order owners take their turns; background jobs apart.
    private final LinkedHashMap<String, ArrayDeque<Job>> turns = new LinkedHashMap<>();
    private final LinkedHashMap<String, ArrayDeque<Job>> backgroundTurns = new LinkedHashMap<>();
    private final Map<String, Integer> unfinished = new HashMap<>();
    private int unfinishedTotal;
    private Thread worker;
    private boolean closed;

    /** Inputs embedded by a worker that {@code workers} makes, each request ended after {@code timeout} (null: never). */
    EmbeddingQueue(Supplier<Worker> workers, Duration timeout) {
        this.workers = workers;
        this.timeout = timeout;
    }

    /**
     * Queues {@code owner}'s inputs, behind every interactive input when {@code background}; the
     * result completes with their vectors, or with why not.
     */
    synchronized CompletableFuture<Embeddings> add(String owner, boolean background, List<int[]> inputs) {
        if (closed) {
            throw BackendException.unavailable("the server is shutting down");
        }
        Job job = new Job(owner, background, inputs, timeout);
        (background ? backgroundTurns : turns).computeIfAbsent(owner, o -> new ArrayDeque<>()).add(job);
        unfinished.merge(owner, 1, Integer::sum);
        unfinishedTotal++;
        if (worker == null) {
            worker = Thread.ofPlatform().name("souverain-embeddings").daemon().start(this::loop);
        }
        notifyAll();
        return job.result;
    }

    /** Requests queued or being embedded. */
    synchronized int waiting() {
        return unfinishedTotal;
    }

    synchronized int waiting(String owner) {
        return unfinished.getOrDefault(owner, 0);
    }

    synchronized Set<String> owners() {
        return Set.copyOf(unfinished.keySet());
    }

    /** Ends every queued request with {@code reason} and stops the thread once its current input is done. */
    void close(RuntimeException reason) {
        Thread running;
        synchronized (this) {
            closed = true;
            for (var line : List.of(turns, backgroundTurns)) {
                for (ArrayDeque<Job> jobs : line.values()) {
                    for (Job job : jobs) {
                        finished(job);
                        job.result.completeExceptionally(reason);
                    }
                }
                line.clear();
            }
            running = worker;
            notifyAll();
        }
        if (running != null) {
            try {
                running.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void loop() {
        try (Worker embedder = workers.get()) {
            while (true) {
                Job job;
                int[] input;
                synchronized (this) {
                    job = nextTurn();
                    if (job == null) {
                        return;
                    }
                    input = job.inputs.get(job.taken++);
                }
                try {
                    job.vectors.add(embedder.embed(input));
                    job.tokens += input.length;
                } catch (RuntimeException e) {
                    fail(job, new IllegalStateException("the embedding failed: " + e, e));
                    continue;
                }
                if (job.vectors.size() == job.inputs.size()) {
                    synchronized (this) {
                        finished(job);
                    }
                    job.result.complete(new Embeddings(job.vectors, job.tokens));
                }
            }
        }
    }

    /**
     * The job whose input comes next: the first job of the owner whose turn it is, that owner then
     * going to the end of the line, background jobs only when no interactive one waits; jobs past
     * their timeout end on the way. Null once closed.
     */
    private Job nextTurn() {
        while (!closed) {
            LinkedHashMap<String, ArrayDeque<Job>> line = turns.isEmpty() ? backgroundTurns : turns;
            var first = line.entrySet().iterator();
            if (!first.hasNext()) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    return null;
                }
                continue;
            }
            Map.Entry<String, ArrayDeque<Job>> turn = first.next();
            ArrayDeque<Job> jobs = turn.getValue();
            Job job = jobs.peek();
            line.remove(turn.getKey());
            if (System.nanoTime() - job.deadline > 0) {
                jobs.poll();
                finished(job);
                job.result.completeExceptionally(new TimeoutException("the embedding ran past its timeout of "
                        + timeout.toMillis() + " ms"));
            } else if (job.taken + 1 == job.inputs.size()) {
                jobs.poll();
            }
            if (!jobs.isEmpty()) {
                line.put(turn.getKey(), jobs);
            }
            if (!job.result.isDone()) {
                return job;
            }
        }
        return null;
    }

    private synchronized void fail(Job job, RuntimeException error) {
        if (job.result.isDone()) {
            return;
        }
        ArrayDeque<Job> jobs = turns.get(job.owner);
        if (jobs != null && jobs.remove(job) && jobs.isEmpty()) {
            turns.remove(job.owner);
        }
        finished(job);
        job.result.completeExceptionally(error);
    }

    private void finished(Job job) {
        unfinished.computeIfPresent(job.owner, (o, n) -> n == 1 ? null : n - 1);
        unfinishedTotal--;
    }
}

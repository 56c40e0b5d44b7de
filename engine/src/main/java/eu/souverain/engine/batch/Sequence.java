package eu.souverain.engine.batch;

import eu.souverain.engine.model.Decoding;
import eu.souverain.engine.model.Generator;
import eu.souverain.engine.model.KVCache;
import java.util.concurrent.CompletableFuture;

/**
 * A generation submitted to a {@link BatchScheduler}: waiting for room, prefilling its prompt, or
 * decoding. Its {@link #result()} completes when it ends: normally with a {@link Generator.Result},
 * or exceptionally with a CancellationException (cancelled, or the scheduler closed) or a
 * TimeoutException (it ran past its timeout).
 */
public final class Sequence {

    final SequenceRequest request;
    final long deadline;   // System.nanoTime(); Long.MAX_VALUE without a timeout
    private final BatchScheduler scheduler;
    private final CompletableFuture<Generator.Result> result = new CompletableFuture<>();
    private volatile boolean cancelled;

    // From here on, only the scheduler's thread reads and writes.
    final KVCache cache;
    final float[] logits;
    final Decoding decoding;
    int[] tokens;          // the prompt, then each generated token once it has run
    int cached;            // prompt tokens whose keys and values came from the prefix cache
    int computed;          // leading positions whose keys and values are in the cache
    int registeredBlocks;  // leading blocks offered to the prefix cache
    long registeredHash;   // the hash of the last of them
    boolean prefilling;
    long admitted;
    long promptDone;

    Sequence(BatchScheduler scheduler, SequenceRequest request, KVCache cache, Decoding decoding, int vocabulary) {
        this.scheduler = scheduler;
        this.request = request;
        this.cache = cache;
        this.decoding = decoding;
        this.logits = new float[vocabulary];
        long now = System.nanoTime();
        this.deadline = request.timeout() == null ? Long.MAX_VALUE : now + request.timeout().toNanos();
    }

    public CompletableFuture<Generator.Result> result() {
        return result;
    }

    /** Ends the sequence at the scheduler's next step, freeing its blocks; its result completes with a CancellationException. */
    public void cancel() {
        cancelled = true;
        scheduler.wake();
    }

    boolean cancelled() {
        return cancelled;
    }
}

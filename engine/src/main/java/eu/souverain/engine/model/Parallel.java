package eu.souverain.engine.model;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs one range-splittable operation at a time on a fixed set of threads, the caller among them:
 * each thread takes the next chunk of the range until none is left, so a thread slowed down by
 * anything else on its core (the JIT, the collector, another process) leaves more chunks to the
 * others instead of keeping them all waiting. With fixed halves, the two threads of a 2-core
 * decode spent 15 and 30 % of a token waiting for each other.
 *
 * <p>A token's forward pass is a few hundred operations of tens of microseconds each, so a
 * worker spins for a while before it parks: waking a parked thread costs several microseconds
 * per operation, which is more than small operations take. Publishing a task allocates nothing.
 */
final class Parallel implements AutoCloseable {

    /**
     * Work over the half-open index range [from, to), called on the {@code share}-th thread (0 for
     * the calling thread), once per chunk it takes: a task that needs scratch memory keeps one
     * buffer per share.
     */
    interface ShareTask {
        void run(int share, int from, int to);
    }

    /** Work over the half-open index range [from, to). */
    interface RangeTask extends ShareTask {
        void run(int from, int to);

        @Override
        default void run(int share, int from, int to) {
            run(from, to);
        }
    }

    private static final int SPINS_BEFORE_PARK = 50_000;
    private static final int SPINS_BEFORE_YIELD = 10_000;

    private final Thread[] workers;
    private final AtomicInteger unfinished = new AtomicInteger();
    private final AtomicInteger nextChunk = new AtomicInteger();
    private volatile long generation;
    private volatile boolean closed;
    // Written before the volatile write of generation that publishes them to the workers.
    private ShareTask task;
    private int size;
    private volatile Throwable failure;

    Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, was " + threads);
        }
        workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int share = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name("souverain-forward-" + share).unstarted(() -> work(share));
            workers[i].start();
        }
    }

    int threads() {
        return workers.length + 1;
    }

    /** Runs {@code task} over [0, size), split in chunks across the threads, and returns when all are done. */
    void run(int size, ShareTask task) {
        int threads = threads();
        if (threads == 1 || size < 2 * threads) {
            task.run(0, 0, size);
            return;
        }
        this.task = task;
        this.size = size;
        // A worker's failure in a run that the caller's own failure ended is not this run's.
        failure = null;
        nextChunk.set(0);
        unfinished.set(workers.length);
        generation++;
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
        try {
            takeChunks(0);
        } finally {
            // A worker that lost its core to another process would leave us spinning for a whole
            // time slice; yielding gives the core back to it.
            for (int spins = 0; unfinished.get() != 0; spins++) {
                if (spins < SPINS_BEFORE_YIELD) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        }
        Throwable failed = failure;
        if (failed != null) {
            failure = null;
            throw new IllegalStateException("a forward-pass worker failed: " + failed, failed);
        }
    }

    private void work(int share) {
        long seen = 0;
        while (true) {
            int spins = 0;
            while (generation == seen && !closed) {
                if (++spins < SPINS_BEFORE_PARK) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                return;
            }
            seen = generation;
            try {
                takeChunks(share);
            } catch (Throwable t) {
                failure = t;
            } finally {
                unfinished.decrementAndGet();
            }
        }
    }

    private void takeChunks(int share) {
        for (int from = nextChunk.get(); from < size; from = nextChunk.get()) {
            int to = Math.min(size, from + chunk(size - from, workers.length + 1));
            if (nextChunk.compareAndSet(from, to)) {
                task.run(share, from, to);
            }
        }
    }

    /**
     * The next chunk when {@code left} of the range are left: a share of them that shrinks with
     * them (guided scheduling), so the threads finish together, a thread slowed down having
     * left smaller and smaller chunks to the others: with chunks of a fixed size, the caller of a
     * 2-thread decode step waited for the last chunk 8 % of the step. A multiple of 32 rows, so
     * that the block product's strips of 16 weight rows and Q4_0's tiles of up to 32 stay whole.
     */
    private static int chunk(int left, int threads) {
        int chunk = left / (2 * threads);
        return Math.max(32, (chunk + 31) / 32 * 32);
    }

    @Override
    public void close() {
        closed = true;
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
    }
}

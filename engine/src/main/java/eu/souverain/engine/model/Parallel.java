package eu.souverain.engine.model;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs one range-splittable operation at a time on a fixed set of threads: the caller takes the
 * first share, each worker one of the others.
 *
 * <p>A token's forward pass is a few hundred operations of tens of microseconds each, so a
 * worker spins for a while before it parks: waking a parked thread costs several microseconds
 * per operation, which is more than small operations take. Publishing a task allocates nothing.
 */
final class Parallel implements AutoCloseable {

    /** Work over the half-open index range [from, to). */
    interface RangeTask {
        void run(int from, int to);
    }

    private static final int SPINS_BEFORE_PARK = 50_000;
    private static final int SPINS_BEFORE_YIELD = 10_000;

    private final Thread[] workers;
    private final AtomicInteger unfinished = new AtomicInteger();
    private volatile long generation;
    private volatile boolean closed;
    // Written before the volatile write of generation that publishes them to the workers.
    private RangeTask task;
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

    /** Runs {@code task} over [0, size), split in contiguous shares, and returns when all are done. */
    void run(int size, RangeTask task) {
        int threads = threads();
        if (threads == 1 || size < 2 * threads) {
            task.run(0, size);
            return;
        }
        this.task = task;
        this.size = size;
        unfinished.set(workers.length);
        generation++;
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
        try {
            task.run(0, share(size, 1, threads));
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
            int threads = threads();
            try {
                task.run(share(size, share, threads), share(size, share + 1, threads));
            } catch (Throwable t) {
                failure = t;
            } finally {
                unfinished.decrementAndGet();
            }
        }
    }

    private static int share(int size, int index, int parts) {
        return (int) ((long) size * index / parts);
    }

    @Override
    public void close() {
        closed = true;
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
    }
}

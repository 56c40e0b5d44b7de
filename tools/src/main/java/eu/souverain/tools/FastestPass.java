package eu.souverain.tools;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * How the bench measures a machine's limits: the same work on every thread at once, a few warm-up
 * passes, then the fastest of the timed passes, as STREAM reports its best run.
 */
final class FastestPass {

    /** Keeps the threads' results alive so that their work cannot be optimized away. */
    private static volatile double sink;

    private FastestPass() {}

    /**
     * Nanoseconds of the fastest of {@code passes} passes, each running every one of
     * {@code shares} on its own thread and waiting for all, after {@code warmUps} untimed passes.
     * {@code what} names the work in the error if a share fails.
     */
    static long nanos(List<Callable<Number>> shares, int warmUps, int passes, String what)
            throws InterruptedException {
        if (shares.isEmpty() || passes < 1) {
            throw new IllegalArgumentException("need at least one thread and one pass, not " + shares.size()
                    + " and " + passes);
        }
        ExecutorService pool = Executors.newFixedThreadPool(shares.size());
        try {
            long best = Long.MAX_VALUE;
            for (int pass = 0; pass < warmUps + passes; pass++) {
                long start = System.nanoTime();
                double total = 0;
                for (Future<Number> result : pool.invokeAll(shares)) {
                    total += result.get().doubleValue();
                }
                long nanos = System.nanoTime() - start;
                sink += total;
                if (pass >= warmUps) {
                    best = Math.min(best, nanos);
                }
            }
            return best;
        } catch (ExecutionException e) {
            throw new IllegalStateException("a " + what + " thread failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }
}

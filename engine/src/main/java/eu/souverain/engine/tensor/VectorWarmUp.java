package eu.souverain.engine.tensor;

import com.sun.management.ThreadMXBean;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Whether the vector kernels are compiled yet. Until C2 compiles them, Vector API code runs as
 * plain Java that boxes every vector: a 260K-parameter model's first 5-token prompt took 300 ms
 * and its next 32 tokens as long again, for what compiled code does in a millisecond. Meanwhile
 * small calls (up to {@link #SMALL} multiply-adds or elements) run {@link ScalarKernels}, which
 * give the same bits, so a sequence's tokens do not depend on which ran; larger ones take the
 * vector kernels, whose cold start their own length pays for.
 *
 * <p>Once the scalar calls have done {@link #WARM_UP_AFTER} of work, a thread runs the vector
 * kernels on scratch data until each runs without allocating, which it does once C2 has compiled
 * it with the Vector API's intrinsics (as {@code KernelFingerprints} checks); from then on every
 * call takes the vector kernels. System property {@code souverain.kernels.cold-start=false} takes
 * them from the start.
 */
public final class VectorWarmUp {

    /** The largest operation that runs scalar while the vector kernels are cold. */
    static final long SMALL = 1 << 20;
    /**
     * The scalar work after which the warm-up starts: a short command (a 260K-parameter model's
     * 32 tokens are a sixth of it) ends before it would have paid off, and on two cores its thread
     * took the JIT's core.
     */
    private static final long WARM_UP_AFTER = 1 << 26;
    /** Average allocation per call below which a kernel counts as compiled (see KernelFingerprints). */
    private static final long BOXED_BYTES_PER_CALL = 1024;
    /** After this long, the vector kernels are taken whatever the warm-up found (the JIT may be off). */
    private static final Duration LIMIT = Duration.ofSeconds(30);

    /** Whether the vector kernels run from the start: system property souverain.kernels.cold-start=false. */
    static final boolean VECTORS_FROM_START =
            !Boolean.parseBoolean(System.getProperty("souverain.kernels.cold-start", "true"));

    private static volatile boolean compiled = VECTORS_FROM_START;
    private static final AtomicLong coldWork = new AtomicLong();
    private static final AtomicBoolean started = new AtomicBoolean();
    private static final CountDownLatch warm = new CountDownLatch(1);

    private VectorWarmUp() {
    }

    /**
     * Whether a call runs {@link ScalarKernels}: its operation takes {@code size} multiply-adds or
     * elements in all, of which this call, one thread's share, does {@code work}.
     */
    static boolean cold(long size, long work) {
        if (compiled || size > SMALL) {
            return false;
        }
        if (coldWork.addAndGet(work) > WARM_UP_AFTER) {
            startWarmUp();
        }
        return true;
    }

    private static void startWarmUp() {
        if (!started.get() && started.compareAndSet(false, true)) {
            Thread warmUp = new Thread(VectorWarmUp::warmUp, "souverain-kernel-warm-up");
            warmUp.setDaemon(true);
            warmUp.start();
        }
    }

    /**
     * Warms the vector kernels up now if no call has, and returns once every call takes them: for
     * measurements of their speed.
     */
    public static void awaitCompiled() throws InterruptedException {
        if (compiled) {
            return;
        }
        startWarmUp();
        warm.await(LIMIT.toMillis() + 1000, TimeUnit.MILLISECONDS);
    }

    private static void warmUp() {
        try {
            compile(kernels());
        } finally {
            compiled = true;
            warm.countDown();
        }
    }

    /**
     * Runs {@code kernels} on this thread, all of them in turn so that C2 compiles one while the
     * others run, until each runs without allocating (or {@link #LIMIT} has passed).
     */
    static void compile(List<Runnable> kernels) {
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long deadline = System.nanoTime() + LIMIT.toNanos();
        List<Runnable> left = new ArrayList<>(kernels);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            left.removeIf(kernel -> {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 100; i++) {
                    kernel.run();
                }
                return threads.getCurrentThreadAllocatedBytes() - before < 100 * BOXED_BYTES_PER_CALL;
            });
        }
    }

    /**
     * The vector kernels that {@link ScalarKernels} stand in for, on rows with whole vectors and
     * rows with a scalar tail, in native memory as a mapped model is (C2 compiles loads from a heap
     * segment of another element type without its intrinsics).
     */
    private static List<Runnable> kernels() {
        int whole = 8 * Lanes.L;
        int tail = whole + 13;
        int rows = BlockMatmul.STRIP + 2;
        int tokens = 5;
        Random random = new Random(1);
        MemorySegment wholeRows = floats(random, rows * whole);
        MemorySegment tailRows = floats(random, rows * tail);
        float[] x = new float[tokens * tail];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        float[] y = x.clone();
        float[] out = new float[tokens * rows];
        float[] scratch = new float[BlockMatmul.scratchLength(tail)];
        float[] sums = new float[tail / PreparedVector.RUN];
        short[] quants = new short[tail];
        short[] offsets = new short[tail / PreparedVector.RUN];
        float[] work = new float[tail];
        return List.of(
                () -> F32Format.dot(wholeRows, 0, x, 0, whole),
                () -> F32Format.dot(tailRows, 0, x, 0, tail),
                () -> BlockMatmul.multiply(F32Format.INSTANCE, wholeRows, 4L * whole, rows, whole, x, tokens, out, 0, rows, scratch),
                () -> BlockMatmul.multiply(F32Format.INSTANCE, tailRows, 4L * tail, rows, tail, x, tokens, out, 0, rows, scratch),
                () -> PreparedVector.vectorSums(x, 0, tail, sums),
                () -> PreparedVector.vectorQuantize(x, 0, tail / PreparedVector.RUN, quants, sums, offsets),
                () -> ArrayMath.dot(x, 0, y, 0, tail),
                () -> ArrayMath.axpyRows(work, 0, x, 0, y, 0, tail, 4, tail),
                () -> ArrayMath.add(work, 0, x, 0, tail),
                () -> ArrayMath.rmsnorm(work, 0, x, 0, y, tail, 1e-5f),
                () -> {
                    System.arraycopy(x, 0, work, 0, tail);
                    ArrayMath.softmax(work, 0, tail);
                },
                () -> {
                    System.arraycopy(x, 0, work, 0, tail);
                    ArrayMath.siluMul(work, 0, y, 0, tail);
                });
    }

    private static MemorySegment floats(Random random, int count) {
        MemorySegment segment = Arena.ofAuto().allocate(4L * count, 64);
        for (int i = 0; i < count; i++) {
            segment.setAtIndex(F32Format.FLOAT_LE, i, (float) (random.nextGaussian() * 0.1));
        }
        return segment;
    }
}

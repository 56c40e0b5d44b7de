package eu.souverain.engine.tensor;

import com.sun.management.ThreadMXBean;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Every kernel run on fixed seeded inputs into preallocated outputs, and a fingerprint of each
 * output's float bits. {@link #main} prints the fingerprints, one kernel a line, for
 * {@link DeterminismTest} to run in two child JVMs: one with {@code -Xint}, and one that first
 * warms every kernel up until C2 has compiled it ({@code --warm-up}).
 *
 * <p>Small inputs, since the interpreter runs Vector API code thousands of times slower than C2,
 * but long enough for each loop to run several vector iterations and a scalar tail at any width.
 */
final class KernelFingerprints {

    static final GGMLType[] TYPES = {
            GGMLType.F32, GGMLType.F16, GGMLType.BF16, GGMLType.Q8_0,
            GGMLType.Q4_0, GGMLType.Q4_K, GGMLType.Q5_K, GGMLType.Q6_K};
    private static final int ROWS = 3;
    /** Two super-blocks of the K-quants; the plain float types get a tail on top. */
    private static final int BLOCK_COLS = 512;
    private static final int FLOAT_COLS = 512 + 13;
    private static final int N = 525;
    private static final int X_OFFSET = 3;

    /** One 4 x 4 tile of the block product, and a row and a token left over. */
    private static final int BLOCK_ROWS = 5;
    private static final int BLOCK_TOKENS = 5;

    private final Matrix[] matrices = new Matrix[TYPES.length];
    private final Matrix[] blockMatrices = new Matrix[TYPES.length];
    private final float[] tokens;
    private final float[] scratch = new float[BlockMatmul.scratchLength(BLOCK_COLS)];
    private final float[] x;
    private final float[] y;
    private final float[] weight;
    /** Logits spread over about 60 units, with one masked position, as attention scores may be. */
    private final float[] scores;
    /** Gate values from far negative (exp(-g) overflows) to far positive. */
    private final float[] gate;

    KernelFingerprints() {
        Random random = new Random(42);
        for (int t = 0; t < TYPES.length; t++) {
            int cols = TYPES[t].blockSize() == 1 ? FLOAT_COLS : BLOCK_COLS;
            byte[] bytes = Quantizer.quantize(TYPES[t], gaussian(random, ROWS * cols, 1));
            // Native memory, as a mapped file is: C2 compiles vector loads from a heap segment of
            // another element type without its intrinsics.
            MemorySegment data = Arena.ofAuto().allocate(bytes.length).copyFrom(MemorySegment.ofArray(bytes));
            matrices[t] = Matrix.of(TYPES[t], data, ROWS, cols);
            byte[] blockBytes = Quantizer.quantize(TYPES[t], gaussian(random, BLOCK_ROWS * BLOCK_COLS, 1));
            MemorySegment blockData = Arena.ofAuto().allocate(blockBytes.length)
                    .copyFrom(MemorySegment.ofArray(blockBytes));
            blockMatrices[t] = Matrix.of(TYPES[t], blockData, BLOCK_ROWS, BLOCK_COLS);
        }
        tokens = gaussian(random, BLOCK_TOKENS * BLOCK_COLS, 1);
        x = gaussian(random, X_OFFSET + N, 1);
        y = gaussian(random, N, 1);
        weight = gaussian(random, N, 1);
        scores = gaussian(random, N, 12);
        scores[100] = Float.NEGATIVE_INFINITY;
        gate = gaussian(random, N, 30);
    }

    private static float[] gaussian(Random random, int n, double scale) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (random.nextGaussian() * scale);
        }
        return values;
    }

    /** A kernel call whose result lands in {@code out}. */
    record Kernel(String name, Runnable call, float[] out) {
    }

    /** Every kernel, each writing its own output array, so that calls allocate nothing. */
    List<Kernel> kernels() {
        List<Kernel> kernels = new ArrayList<>();
        for (Matrix matrix : matrices) {
            PreparedVector prepared = PreparedVector.of(x, X_OFFSET, matrix.cols());
            float[] out = new float[ROWS];
            kernels.add(new Kernel("matmul " + matrix.type(), () -> matrix.matmul(prepared, out, 0, 0, ROWS), out));
        }
        for (Matrix matrix : matrices) {
            // Five vectors (overlapping slices of the tokens): a group of four through the
            // four-vector kernels, then one alone.
            PreparedVector[] xs = new PreparedVector[5];
            for (int v = 0; v < xs.length; v++) {
                xs[v] = PreparedVector.of(tokens, 400 * v, matrix.cols());
            }
            float[] out = new float[xs.length * ROWS];
            kernels.add(new Kernel("matmul x5 " + matrix.type(), () -> matrix.matmul(xs, xs.length, out, ROWS, 0, ROWS), out));
        }
        for (Matrix matrix : blockMatrices) {
            float[] out = new float[BLOCK_TOKENS * BLOCK_ROWS];
            PreparedVector[] xs = BlockMatmulTest.prepared(tokens, BLOCK_TOKENS, matrix.cols());
            kernels.add(new Kernel("matmulBlock " + matrix.type(),
                    () -> matrix.matmulBlock(xs, BLOCK_TOKENS, out, 0, BLOCK_ROWS, scratch), out));
        }
        PreparedVector prepared = new PreparedVector(BLOCK_COLS);
        kernels.add(new Kernel("prepare", () -> prepared.prepare(x, X_OFFSET, BLOCK_COLS), prepared.sums()));
        float[] dot = new float[1];
        kernels.add(new Kernel("dot", () -> dot[0] = ArrayMath.dot(x, X_OFFSET, y, 0, N), dot));
        float[] axpyRows = new float[N];
        kernels.add(new Kernel("axpyRows", () -> {
            // Five overlapping rows of the tokens, weighted as attention weighs a block's values.
            System.arraycopy(y, 0, axpyRows, 0, N);
            ArrayMath.axpyRows(axpyRows, 0, weight, 0, tokens, 0, 500, 5, N);
        }, axpyRows));
        float[] add = new float[N];
        kernels.add(new Kernel("add", () -> {
            System.arraycopy(y, 0, add, 0, N);
            ArrayMath.add(add, 0, x, X_OFFSET, N);
        }, add));
        float[] rmsnorm = new float[N];
        kernels.add(new Kernel("rmsnorm", () -> ArrayMath.rmsnorm(rmsnorm, 0, x, X_OFFSET, weight, N, 1e-5f), rmsnorm));
        float[] softmax = new float[N];
        kernels.add(new Kernel("softmax", () -> {
            System.arraycopy(scores, 0, softmax, 0, N);
            ArrayMath.softmax(softmax, 0, N);
        }, softmax));
        float[] siluMul = new float[N];
        kernels.add(new Kernel("siluMul", () -> {
            System.arraycopy(gate, 0, siluMul, 0, N);
            ArrayMath.siluMul(siluMul, 0, y, 0, N);
        }, siluMul));
        return kernels;
    }

    /** Runs each kernel once; one line per kernel: its name and a hash of its output bits. */
    static List<String> fingerprints(List<Kernel> kernels) {
        List<String> lines = new ArrayList<>();
        for (Kernel kernel : kernels) {
            kernel.call().run();
            lines.add(kernel.name() + " " + hash(kernel.out()));
        }
        return lines;
    }

    private static String hash(float[] values) {
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = Float.floatToRawIntBits(values[i]);
        }
        return Integer.toHexString(Arrays.hashCode(bits));
    }

    /**
     * A kernel whose compiled code still allocates this much per call runs its vectors boxed, as
     * the interpreter and C1 do (10-100x slower; such kernels allocate 100 KB and more per call
     * here). Less is a few vectors boxed once per row, at the end of a kernel that outgrew C2's
     * node budget (seen on AVX2 for the K-quant kernels: 192 bytes a call): reported, not failed.
     */
    static final long BOXED_BYTES_PER_CALL = 1024;

    /**
     * Calls each kernel, for at most its share of the time left, until a hundred calls in a row
     * allocate nothing, which happens only once C2 has compiled it with the Vector API intrinsics.
     * Returns the kernels that still allocate at the end of their share, with their bytes per call.
     */
    static Map<String, Long> warmUp(List<Kernel> kernels, long deadline) {
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        Map<String, Long> allocating = new LinkedHashMap<>();
        for (int k = 0; k < kernels.size(); k++) {
            Kernel kernel = kernels.get(k);
            // A kernel that keeps a small allocation must not eat the time of the ones after it.
            long share = System.nanoTime() + (deadline - System.nanoTime()) / (kernels.size() - k);
            long allocated;
            do {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 100; i++) {
                    kernel.call().run();
                }
                allocated = threads.getCurrentThreadAllocatedBytes() - before;
            } while (allocated > 0 && System.nanoTime() < share);
            if (allocated > 0) {
                allocating.put(kernel.name(), allocated / 100);
            }
        }
        return allocating;
    }

    /**
     * Prints the fingerprints. With {@code --warm-up SECONDS}, warms the kernels up first, names
     * on standard error each kernel still allocating, and exits with status 3 if any of them
     * allocates {@link #BOXED_BYTES_PER_CALL} or more a call.
     */
    public static void main(String[] args) {
        List<Kernel> kernels = new KernelFingerprints().kernels();
        if (args.length == 2 && args[0].equals("--warm-up")) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(args[1]));
            Map<String, Long> allocating = warmUp(kernels, deadline);
            allocating.forEach((kernel, bytes) -> System.err.println(kernel + ": " + bytes + " bytes per call"));
            if (allocating.values().stream().anyMatch(bytes -> bytes >= BOXED_BYTES_PER_CALL)) {
                System.exit(3);
            }
        }
        fingerprints(kernels).forEach(System.out::println);
    }
}

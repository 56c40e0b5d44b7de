package eu.souverain.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * One tensor layout the engine computes with: its reference decode, its kernels and its
 * quantizer, in one subclass per format, so that a new format is one file, named in a permits
 * clause and in {@link #of}.
 *
 * <p>The loops over a matrix's rows live in each format rather than in {@link Matrix}: the
 * format is chosen once per share of rows, and each loop calls its own format's static kernel,
 * the one call C2 sees there.
 */
abstract sealed class WeightFormat
        permits F32Format, F16Format, BF16Format, BlockFormat {

    // The shapes the kernels compute in, inherited by every format: its kernels name them plainly.
    static final VectorSpecies<Float> F = Lanes.F;
    static final int L = Lanes.L;

    /**
     * 128 bits, 16 quant bytes: every quantized layout stores its quants in runs of 16 or 32 bytes
     * that map to consecutive elements, and 128 bits is the one shape every SIMD CPU has.
     */
    static final VectorSpecies<Integer> I128 = IntVector.SPECIES_128;
    static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    static final int PARTS = 16 / L;

    /** Shorts filling a full vector of F's size, widened to two int (then float) vectors. */
    static final VectorSpecies<Short> S = F.withLanes(short.class);
    static final VectorSpecies<Integer> I = F.withLanes(int.class);

    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);

    /*
     * The quantized kernels are written out in full, one compact loop body each, with no
     * helper method taking or returning a vector but the small sum: C2 compiles a hot helper on
     * its own, then refuses to inline it ("already compiled into a big method") and boxes its
     * vectors, and a long unrolled body runs out of its inlining node budget with the same result
     * (measured: Q6_K at a tenth of the speed, allocating 30 KB per 4096-column row).
     *
     * Quants are loaded 16 bytes at a time as four ints: unpacking nibbles and bit fields needs
     * shifts, which x86 has for 16-bit lanes and wider but not for bytes; shifting whole ints and
     * masking off the bits that crossed into a neighbouring byte does the same in one instruction.
     *
     * Each decoded weight vector is multiplied by its block's scale before the fused multiply-add
     * into the accumulator: one multiply per weight vector instead of a per-block partial sum and
     * an FMA with the scale. Alone that is about as fast, but it lets the four-vector kernels share
     * the scaled weights between four vectors, leaving one FMA per weight vector per vector, which
     * is faster there (docs/performance.md, "Measurements behind the kernels").
     */

    /** The format of {@code type}, or null where the engine has no kernel for it. */
    static WeightFormat of(GGMLType type) {
        return switch (type) {
            case F32 -> F32Format.INSTANCE;
            case F16 -> F16Format.INSTANCE;
            case BF16 -> BF16Format.INSTANCE;
            case Q8_0 -> Q8_0Format.INSTANCE;
            case Q4_0 -> Q4_0Format.INSTANCE;
            case Q4_K -> Q4_KFormat.INSTANCE;
            case Q5_K -> Q5_KFormat.INSTANCE;
            case Q6_K -> Q6_KFormat.INSTANCE;
            default -> null;
        };
    }

    /**
     * The reference decode: the {@code count} elements (whole blocks) stored at {@code offset},
     * one element at a time, into {@code out[o..o+count)}.
     */
    abstract void dequantize(MemorySegment data, long offset, float[] out, int o, int count);

    /** Appends {@code values} (whole blocks, finite where blocks have scales) to {@code out}, encoded. */
    abstract void quantize(float[] values, ByteBuffer out);

    /**
     * The layout the kernels read the stored {@code rows x cols} matrix in: the stored data itself,
     * or a copy rearranged once at load for kernels that read several rows at once ({@link TiledFormat}).
     */
    MemorySegment arrange(MemorySegment data, int rows, int cols) {
        return data;
    }

    /**
     * {@code out[outOffset + r] = W[r] . x} for each row r in {@code [rowFrom, rowTo)} of the rows
     * {@code rowBytes} apart at {@code data}.
     */
    abstract void matmul(MemorySegment data, long rowBytes, int cols, PreparedVector x, float[] out, int outOffset,
                         int rowFrom, int rowTo);

    /**
     * {@code out[v * outStride + r] = W[r] . xs[v]} for each vector v below {@code count} and each
     * row r in {@code [rowFrom, rowTo)}, each result the bits of the single-vector product.
     */
    abstract void matmul(MemorySegment data, long rowBytes, int cols, PreparedVector[] xs, int count, float[] out,
                         int outStride, int rowFrom, int rowTo);

    /**
     * The product with a block of prompt tokens, {@code out[t * rows + r] = W[r] . xs[t]} for rows
     * r in [rowFrom, rowTo), vector t holding {@code values[t * cols..]} of one array: by default
     * through {@link BlockMatmul}, which decodes strips of rows to floats in {@code scratch} once
     * for all tokens.
     */
    void matmulBlock(MemorySegment data, long rowBytes, int rows, int cols, PreparedVector[] xs, int tokens,
                     float[] out, int rowFrom, int rowTo, float[] scratch) {
        BlockMatmul.multiply(this, data, rowBytes, rows, cols, xs[0].values(), tokens, out, rowFrom, rowTo, scratch);
    }

    /**
     * The {@code n} elements stored at {@code offset} decoded with vectors into
     * {@code out[o..o+n)}, for {@link BlockMatmul}'s strips. The K-quants decode a weight with one
     * FMA, so it may differ in its last bit from {@link #dequantize}'s, which rounds twice.
     */
    abstract void decode(MemorySegment data, long offset, int n, float[] out, int o);

    /*
     * The four-vector kernels (dotFour in the formats that have one) multiply one stored row with
     * four prepared vectors at once, for a batched decode step: each block of weights is loaded
     * and decoded once into registers and multiplied with the four vectors. Each vector goes
     * through exactly the float operations, in the same order, of its format's single-vector
     * kernel, so its result is bit-identical to that kernel's: the two must change together.
     *
     * Each takes the vectors xs[v..v+3]; where fewer than four are left (count - v < 4), the last
     * one is repeated and its result written again, which costs the spare lanes of work but keeps
     * one kernel per format. Results go to out[u * outStride + row] for each vector u. lanes is a
     * scratch of 4 * L floats for the final sums, one per thread (LANES); the tiled formats
     * (TiledFormat) take all 8 * L for four vectors' results over a tile cut by its row range.
     */

    /** Each thread's scratch for the final sums. */
    static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[8 * L]);

    /** The index of the k-th vector (0..3) of the group starting at v: the last one repeats. */
    static int pick(int v, int k, int count) {
        return Math.min(v + k, count - 1);
    }

    /**
     * Each vector's result from its accumulator's lanes, stored at {@code lanes[k * L..]}: the
     * lanes added in the tree order of {@link Lanes#sum}. Four inlined vector reductions
     * would take a kernel past C2's inlining node budget, which then calls them out of line and
     * boxes their vectors.
     */
    static void write(float[] lanes, int v, int count, float[] out, int outStride, int row) {
        write(lanes, 0, v, count, out, outStride, row);
    }

    /** As {@link #write(float[], int, int, float[], int, int)}, the accumulators from {@code lanes[from..]}. */
    static void write(float[] lanes, int from, int v, int count, float[] out, int outStride, int row) {
        for (int k = 0; k < 4; k++) {
            out[pick(v, k, count) * outStride + row] = Lanes.sumLanes(lanes, from + k * L);
        }
    }
}

package eu.souverain.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.VectorSpecies;

/**
 * A 4-bit format whose kernels multiply in integers, as llama.cpp's do, on its weights rearranged
 * at load into tiles of {@link #R} rows side by side, one row per 16-bit lane (Q4_0, Q4_K).
 *
 * <p>Each vector is quantized to 8 bits per run of 32 ({@link PreparedVector#quants()}). A run of
 * 32 weights with 4-bit quants q (0..15) times a vector run with quants a is the exact integer
 * sum of (q - 8) * a, scaled by the weights' and the run's scales. That sum fits 16 bits:
 * |q - 8| <= 8 and |a| <= 127, so it is at most 32 * 8 * 127 = 32,512. The kernels sum q * a in
 * wrapping 16-bit lanes and subtract 8 * sum(a): the difference modulo 2^16 is the true sum, which
 * the range makes the one 16-bit value it can be. A tile's quants for a run are its rows' 16 quant
 * bytes (element k in the low nibble of byte k, element k + 16 in the high one), two by two, as R
 * shorts per pair of bytes. The kernel broadcasts a vector's quant and multiplies it into every
 * row's lane at once, so a row's sum never crosses lanes: no horizontal reduction.
 *
 * <p>Integer sums are exact in any order, and each vector goes through the same float operations
 * in its format's one-vector and four-vector kernels, so a product is the same bits alone or
 * batched, decoded or prefilled (prompts go through the four-vector kernel too).
 */
abstract sealed class TiledFormat extends BlockFormat permits Q4_0Format, Q4_KFormat {

    /** Shorts in one of the float kernels' vectors: each holds one element of R rows. */
    static final VectorSpecies<Short> SR = VectorSpecies.of(short.class, F.vectorShape());
    /** Rows in a tile. */
    static final int R = SR.length();
    static final VectorSpecies<Integer> IR = F.withLanes(int.class);
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);

    TiledFormat(GGMLType type) {
        super(type);
    }

    /** Tile {@code t} of a matrix of {@code cols} columns times {@code x}: its R results to {@code out[o..o+R)}. */
    abstract void tile(MemorySegment tiles, int cols, int t, PreparedVector x, float[] out, int o);

    /**
     * Tile {@code t} times the vectors xs[v..v+3] (the last one repeated where fewer are left),
     * each weight loaded and unpacked once for the four; the k-th vector's R results go to
     * {@code out[ok..]}, the bits {@link #tile} gives that vector.
     */
    abstract void tileFour(MemorySegment tiles, int cols, int t, PreparedVector[] xs, int v, int count, float[] out,
                           int o0, int o1, int o2, int o3);

    @Override
    final void matmul(MemorySegment tiles, long rowBytes, int cols, PreparedVector x, float[] out, int outOffset,
                int rowFrom, int rowTo) {
        float[] lanes = LANES.get();
        for (int t = rowFrom / R; t * R < rowTo; t++) {
            int first = t * R;
            if (first >= rowFrom && first + R <= rowTo) {
                tile(tiles, cols, t, x, out, outOffset + first);
            } else {
                tile(tiles, cols, t, x, lanes, 0);
                for (int r = Math.max(first, rowFrom); r < Math.min(first + R, rowTo); r++) {
                    out[outOffset + r] = lanes[r - first];
                }
            }
        }
    }

    @Override
    final void matmul(MemorySegment tiles, long rowBytes, int cols, PreparedVector[] xs, int count, float[] out,
                int outStride, int rowFrom, int rowTo) {
        float[] lanes = LANES.get();
        for (int t = rowFrom / R; t * R < rowTo; t++) {
            int first = t * R;
            boolean whole = first >= rowFrom && first + R <= rowTo;
            int v = 0;
            while (v < count) {
                if (count - v == 1) {
                    if (whole) {
                        tile(tiles, cols, t, xs[v], out, v * outStride + first);
                    } else {
                        tile(tiles, cols, t, xs[v], lanes, 0);
                        copy(lanes, 0, out, v * outStride, first, rowFrom, rowTo);
                    }
                    v++;
                } else {
                    if (whole) {
                        tileFour(tiles, cols, t, xs, v, count, out, pick(v, 0, count) * outStride + first,
                                pick(v, 1, count) * outStride + first, pick(v, 2, count) * outStride + first,
                                pick(v, 3, count) * outStride + first);
                    } else {
                        tileFour(tiles, cols, t, xs, v, count, lanes, 0, R, 2 * R, 3 * R);
                        for (int k = 0; k < 4; k++) {
                            copy(lanes, k * R, out, pick(v, k, count) * outStride, first, rowFrom, rowTo);
                        }
                    }
                    v += 4;
                }
            }
        }
    }

    /** A prompt's tokens go through the four-vector kernel: the integer products need no float strips. */
    @Override
    final void matmulBlock(MemorySegment tiles, long rowBytes, int rows, int cols, PreparedVector[] xs, int tokens,
                     float[] out, int rowFrom, int rowTo, float[] scratch) {
        matmul(tiles, rowBytes, cols, xs, tokens, out, rows, rowFrom, rowTo);
    }

    /** Never called: {@link #matmulBlock} multiplies in integers, without decoding strips. */
    @Override
    final void decode(MemorySegment w, long offset, int n, float[] out, int o) {
        throw new UnsupportedOperationException(this + " block products multiply integer tiles");
    }

    /** The rows of the tile from {@code first} that fall in [rowFrom, rowTo), from {@code lanes[from..]}. */
    private static void copy(float[] lanes, int from, float[] out, int outOffset, int first, int rowFrom, int rowTo) {
        for (int r = Math.max(first, rowFrom); r < Math.min(first + R, rowTo); r++) {
            out[outOffset + r] = lanes[from + r - first];
        }
    }
}

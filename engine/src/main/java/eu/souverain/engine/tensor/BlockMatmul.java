package eu.souverain.engine.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The product of a stored matrix with a block of token vectors, for prompt processing: each strip
 * of {@link #STRIP} weight rows is decoded once into a float scratch and then multiplied with
 * every token of the block, so the weights are read and dequantized once per block instead of
 * once per token.
 *
 * <p>The inner kernel computes a tile of 4 tokens by 4 rows: per step it loads 4 weight vectors
 * and 4 token vectors and does 16 FMAs into 16 accumulators, so each load feeds several FMAs.
 * Each group of 4 tokens goes through all the tiles of a strip before the next group, so its
 * vectors are read from the core's cache once per strip of 16 rows rather than once per 4: with
 * strips of 4, re-reading the block's tokens left the FMA units waiting, and strips of 32 no
 * longer stay in the core's L2 (docs/performance.md, "Measurements behind the kernels").
 * Every output is the same fixed-order sum whichever tile, thread share or mode (interpreted or
 * compiled) computes it: lane-wise FMAs over the row in order, then the lanes added as a tree
 * (lane i plus lane i + L/2, and so on down), the order of {@link Lanes#sum}. The trees of a
 * tile run on its accumulators stored to the scratch ({@link LaneSums}): sixteen inlined vector
 * reductions make the tile method too big for C2, which then calls them out of line and boxes a
 * vector per call.
 */
public final class BlockMatmul {

    /** Weight rows decoded together into the scratch. */
    public static final int STRIP = 16;

    private static final VectorSpecies<Float> F = Lanes.F;
    private static final int L = Lanes.L;

    private BlockMatmul() {
    }

    /** Floats of scratch that a product over rows of {@code cols} elements needs. */
    public static int scratchLength(int cols) {
        return STRIP * cols + 16 * L;
    }

    /**
     * {@code out[t * rows + r] = W[r] · x[t * cols ..]} for tokens t in [0, tokens) and rows r in
     * [rowFrom, rowTo), where W is {@code rows x cols} of {@code format} at {@code data}, its rows
     * {@code rowBytes} apart.
     */
    static void multiply(WeightFormat format, MemorySegment data, long rowBytes, int rows, int cols, float[] x,
                         int tokens, float[] out, int rowFrom, int rowTo, float[] scratch) {
        boolean whole = cols % L == 0;
        int lanes = STRIP * cols;
        for (int r = rowFrom; r < rowTo; r += STRIP) {
            int strip = Math.min(STRIP, rowTo - r);
            for (int i = 0; i < strip; i++) {
                format.decode(data, (r + i) * rowBytes, cols, scratch, i * cols);
            }
            if (!whole) {
                for (int t = 0; t < tokens; t++) {
                    for (int i = 0; i < strip; i++) {
                        out[t * rows + r + i] = dotWithTail(scratch, i * cols, x, t * cols, cols, lanes);
                    }
                }
                continue;
            }
            int t = 0;
            for (; t + 4 <= tokens; t += 4) {
                int i = 0;
                for (; i + 4 <= strip; i += 4) {
                    tile4x4(scratch, i * cols, cols, x, t * cols, out, t * rows + r + i, rows, lanes);
                }
                for (; i < strip; i++) {
                    for (int u = t; u < t + 4; u++) {
                        out[u * rows + r + i] = dot(scratch, i * cols, x, u * cols, cols, lanes);
                    }
                }
            }
            for (; t < tokens; t++) {
                for (int i = 0; i < strip; i++) {
                    out[t * rows + r + i] = dot(scratch, i * cols, x, t * cols, cols, lanes);
                }
            }
        }
    }

    /**
     * The 4 rows of {@code w} from {@code wOffset} (stride {@code n}) times tokens 0..3 of {@code x}
     * from {@code xOffset} (stride {@code n}); results to {@code out[o + token * outStride + row]}.
     * The weights are rows of the scratch {@code w}, whose floats from {@code lanes} take the
     * accumulators.
     */
    private static void tile4x4(float[] w, int wOffset, int n, float[] x, int xOffset, float[] out, int o,
                                int outStride, int lanes) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int x1 = xOffset + n;
        int x2 = x1 + n;
        int x3 = x2 + n;
        for (int k = 0; k < n; k += L) {
            FloatVector w0 = FloatVector.fromArray(F, w, wOffset + k);
            FloatVector w1 = FloatVector.fromArray(F, w, wOffset + n + k);
            FloatVector w2 = FloatVector.fromArray(F, w, wOffset + 2 * n + k);
            FloatVector w3 = FloatVector.fromArray(F, w, wOffset + 3 * n + k);
            FloatVector v = FloatVector.fromArray(F, x, xOffset + k);
            a00 = w0.fma(v, a00);
            a01 = w1.fma(v, a01);
            a02 = w2.fma(v, a02);
            a03 = w3.fma(v, a03);
            v = FloatVector.fromArray(F, x, x1 + k);
            a10 = w0.fma(v, a10);
            a11 = w1.fma(v, a11);
            a12 = w2.fma(v, a12);
            a13 = w3.fma(v, a13);
            v = FloatVector.fromArray(F, x, x2 + k);
            a20 = w0.fma(v, a20);
            a21 = w1.fma(v, a21);
            a22 = w2.fma(v, a22);
            a23 = w3.fma(v, a23);
            v = FloatVector.fromArray(F, x, x3 + k);
            a30 = w0.fma(v, a30);
            a31 = w1.fma(v, a31);
            a32 = w2.fma(v, a32);
            a33 = w3.fma(v, a33);
        }
        a00.intoArray(w, lanes);
        a01.intoArray(w, lanes + L);
        a02.intoArray(w, lanes + 2 * L);
        a03.intoArray(w, lanes + 3 * L);
        a10.intoArray(w, lanes + 4 * L);
        a11.intoArray(w, lanes + 5 * L);
        a12.intoArray(w, lanes + 6 * L);
        a13.intoArray(w, lanes + 7 * L);
        a20.intoArray(w, lanes + 8 * L);
        a21.intoArray(w, lanes + 9 * L);
        a22.intoArray(w, lanes + 10 * L);
        a23.intoArray(w, lanes + 11 * L);
        a30.intoArray(w, lanes + 12 * L);
        a31.intoArray(w, lanes + 13 * L);
        a32.intoArray(w, lanes + 14 * L);
        a33.intoArray(w, lanes + 15 * L);
        LaneSums.sum16(w, lanes);
        for (int token = 0; token < 4; token++) {
            for (int row = 0; row < 4; row++) {
                out[o + token * outStride + row] = w[lanes + LaneSums.SLOT_OF_16[4 * token + row]];
            }
        }
    }

    /** The same sum as one entry of {@link #tile4x4}, for the tokens and rows left over. */
    private static float dot(float[] w, int wOffset, float[] x, int xOffset, int n, int lanes) {
        FloatVector acc = FloatVector.zero(F);
        for (int k = 0; k < n; k += L) {
            acc = FloatVector.fromArray(F, w, wOffset + k).fma(FloatVector.fromArray(F, x, xOffset + k), acc);
        }
        acc.intoArray(w, lanes);
        return Lanes.sumLanes(w, lanes);
    }

    /** For rows whose length is not a whole number of vectors (only possible for float types). */
    private static float dotWithTail(float[] w, int wOffset, float[] x, int xOffset, int n, int lanes) {
        FloatVector acc = FloatVector.zero(F);
        int k = 0;
        for (int bound = F.loopBound(n); k < bound; k += L) {
            acc = FloatVector.fromArray(F, w, wOffset + k).fma(FloatVector.fromArray(F, x, xOffset + k), acc);
        }
        acc.intoArray(w, lanes);
        float sum = Lanes.sumLanes(w, lanes);
        for (; k < n; k++) {
            sum += w[wOffset + k] * x[xOffset + k];
        }
        return sum;
    }
}

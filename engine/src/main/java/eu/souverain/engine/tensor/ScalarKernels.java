package eu.souverain.engine.tensor;

import java.lang.foreign.MemorySegment;

/**
 * The float kernels' arithmetic, operation for operation, one float at a time: what
 * {@link ArrayMath}, {@link F32Format#dot}, the float rows of {@link BlockMatmul} and
 * {@link PreparedVector} compute, to the bit. Each vector operation is IEEE arithmetic lane by
 * lane (a fused multiply-add is {@link Math#fma}), so the same operations on the same lanes,
 * summed in the same tree ({@link Lanes#sumLanes}), give the same floats.
 *
 * <p>They run while the vector kernels are not compiled yet ({@link VectorWarmUp}): the
 * interpreter runs this code some fifty times faster than Vector API code, whose every operation
 * boxes a vector until C2 compiles it, and C1 compiles it within milliseconds. Once compiled, the
 * vector kernels are the faster by far; these are not meant to run then.
 */
final class ScalarKernels {

    private static final int L = Lanes.L;

    private ScalarKernels() {
    }

    /** As {@link ArrayMath#dot}. */
    static float dot(float[] a, int aOffset, float[] b, int bOffset, int n) {
        float[] lanes = new float[L];
        int i = 0;
        for (int bound = n - n % L; i < bound; i += L) {
            for (int j = 0; j < L; j++) {
                lanes[j] = Math.fma(a[aOffset + i + j], b[bOffset + i + j], lanes[j]);
            }
        }
        float sum = Lanes.sumLanes(lanes, 0);
        for (; i < n; i++) {
            sum += a[aOffset + i] * b[bOffset + i];
        }
        return sum;
    }

    /**
     * {@code out[outOffset + r] = W[r] . x} for the rows r in [rowFrom, rowTo) of an F32 matrix of
     * {@code cols} columns at {@code data}, as {@link F32Format#dot} computes each.
     */
    static void f32Rows(MemorySegment data, int cols, float[] x, int xOffset, float[] out, int outOffset,
                        int rowFrom, int rowTo) {
        float[] row = new float[cols];
        for (int r = rowFrom; r < rowTo; r++) {
            MemorySegment.copy(data, F32Format.FLOAT_LE, 4L * cols * r, row, 0, cols);
            out[outOffset + r] = dot(row, 0, x, xOffset, cols);
        }
    }

    /**
     * The block product of an F32 matrix, as {@link BlockMatmul#multiply} computes it: every
     * output, whichever tile computes it there, is {@link #dot} of its row and its token.
     */
    static void f32Block(MemorySegment data, int rows, int cols, float[] x, int tokens, float[] out, int rowFrom,
                         int rowTo) {
        float[] row = new float[cols];
        for (int r = rowFrom; r < rowTo; r++) {
            MemorySegment.copy(data, F32Format.FLOAT_LE, 4L * cols * r, row, 0, cols);
            for (int t = 0; t < tokens; t++) {
                out[t * rows + r] = dot(row, 0, x, t * cols, cols);
            }
        }
    }

    /** As {@link ArrayMath#axpyRows}. */
    static void axpyRows(float[] y, int yOffset, float[] w, int wOffset, float[] x, int xOffset, int xStride,
                         int count, int n) {
        int i = 0;
        for (int bound = n - n % L; i < bound; i++) {
            float acc = y[yOffset + i];
            for (int row = 0; row < count; row++) {
                acc = Math.fma(x[xOffset + row * xStride + i], w[wOffset + row], acc);
            }
            y[yOffset + i] = acc;
        }
        for (; i < n; i++) {
            float sum = y[yOffset + i];
            for (int row = 0; row < count; row++) {
                sum += w[wOffset + row] * x[xOffset + row * xStride + i];
            }
            y[yOffset + i] = sum;
        }
    }

    /** As {@link ArrayMath#add}. */
    static void add(float[] y, int yOffset, float[] x, int xOffset, int n) {
        for (int i = 0; i < n; i++) {
            y[yOffset + i] += x[xOffset + i];
        }
    }

    /** As {@link ArrayMath#rmsnorm}. */
    static void rmsnorm(float[] out, int outOffset, float[] x, int xOffset, float[] weight, int n, float eps) {
        float sumOfSquares = dot(x, xOffset, x, xOffset, n);
        float scale = (float) (1.0 / Math.sqrt(sumOfSquares / n + eps));
        for (int i = 0; i < n; i++) {
            out[outOffset + i] = x[xOffset + i] * scale * weight[i];
        }
    }

    /** As {@link ArrayMath#softmax}: the vector part's maximum is the same whatever order its lanes meet in. */
    static void softmax(float[] x, int offset, int n) {
        if (n == 0) {
            return;
        }
        int bound = n - n % L;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[offset + i]);
        }
        float[] sums = new float[L];
        for (int i = 0; i < bound; i += L) {
            for (int j = 0; j < L; j++) {
                float e = exp(x[offset + i + j] - max);
                x[offset + i + j] = e;
                sums[j] += e;
            }
        }
        float sum = Lanes.sumLanes(sums, 0);
        for (int i = bound; i < n; i++) {
            float e = (float) Math.exp(x[offset + i] - max);
            x[offset + i] = e;
            sum += e;
        }
        float inverse = 1f / sum;
        for (int i = 0; i < n; i++) {
            x[offset + i] *= inverse;
        }
    }

    /** As {@link ArrayMath#siluMul}. */
    static void siluMul(float[] gate, int offset, float[] up, int upOffset, int n) {
        int i = 0;
        for (int bound = n - n % L; i < bound; i++) {
            float g = gate[offset + i];
            gate[offset + i] = g / (exp(-g) + 1f) * up[upOffset + i];
        }
        for (; i < n; i++) {
            float g = gate[offset + i];
            gate[offset + i] = (float) (g / (1.0 + Math.exp(-g))) * up[upOffset + i];
        }
    }

    /** One lane of {@link ArrayMath#exp}, operation for operation. */
    static float exp(float x) {
        float clamped = Math.min(Math.max(x, -104f), 89f);
        float shifted = Math.fma(clamped, ArrayMath.LOG2_E, ArrayMath.ROUNDER);
        float n = shifted - ArrayMath.ROUNDER;
        float r = Math.fma(n, -ArrayMath.LN2_HI, clamped);
        r = Math.fma(n, -ArrayMath.LN2_LO, r);
        float p = Math.fma(r, 1f / 5040, 1f / 720);
        p = Math.fma(p, r, 1f / 120);
        p = Math.fma(p, r, 1f / 24);
        p = Math.fma(p, r, 1f / 6);
        p = Math.fma(p, r, 0.5f);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        int bits = Float.floatToRawIntBits(shifted);
        int halfBits = bits >> 1;
        float scale1 = Float.intBitsToFloat(halfBits << 23);
        float scale2 = Float.intBitsToFloat((bits - halfBits) << 23);
        return p * scale1 * scale2;
    }

    /** The sums of the runs of {@link PreparedVector#RUN} elements, as {@link PreparedVector#prepare} adds them. */
    static void runSums(float[] x, int offset, int length, float[] sums) {
        float[] lanes = new float[L];
        for (int run = 0; run < length / PreparedVector.RUN; run++) {
            java.util.Arrays.fill(lanes, 0f);
            for (int i = run * PreparedVector.RUN; i < (run + 1) * PreparedVector.RUN; i += L) {
                for (int j = 0; j < L; j++) {
                    lanes[j] += x[offset + i + j];
                }
            }
            sums[run] = Lanes.sumLanes(lanes, 0);
        }
    }

    /** Each run quantized to 8 bits, as {@link PreparedVector#vectorQuantize} does it. */
    static void quantizeRuns(float[] x, int offset, int runs, short[] quants, float[] scales, short[] offsets) {
        for (int run = 0; run < runs; run++) {
            int from = offset + run * PreparedVector.RUN;
            float max = 0;
            for (int i = 0; i < PreparedVector.RUN; i++) {
                max = Math.max(max, Math.abs(x[from + i]));
            }
            float d = max / 127;
            float inverse = d == 0 ? 0 : 1 / d;
            int sum = 0;
            for (int i = 0; i < PreparedVector.RUN; i++) {
                float y = x[from + i] * inverse;
                short q = (short) (int) (y + (y < 0 ? -0.5f : 0.5f));
                quants[run * PreparedVector.RUN + i] = q;
                sum += q;
            }
            scales[run] = d;
            offsets[run] = (short) (8 * sum);
        }
    }
}

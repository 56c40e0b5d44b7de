package eu.souverain.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vectorized operations on float arrays for the forward pass; each takes offsets and a length. */
public final class ArrayMath {

    /** The matrix kernels' species: the widest float vector the CPU has, up to 16 lanes. */
    private static final VectorSpecies<Float> F = Lanes.F;

    static final float LOG2_E = 1.44269504f;
    /** ln 2 split in two: n * LN2_HI is exact for the n that exp meets, LN2_LO is the rest. */
    static final float LN2_HI = 0.693145752f;
    static final float LN2_LO = 1.42860677e-6f;
    /**
     * 1.5 * 2^23 + 254: adding it to a float below 2^21 in magnitude rounds that to an integer n,
     * leaving n + 254 (twice the exponent bias) in the low mantissa bits.
     */
    static final float ROUNDER = 0x1.8p23f + 254;

    private ArrayMath() {
    }

    public static float dot(float[] a, int aOffset, float[] b, int bOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            acc = FloatVector.fromArray(F, a, aOffset + i).fma(FloatVector.fromArray(F, b, bOffset + i), acc);
        }
        float sum = Lanes.sum(acc);
        for (; i < n; i++) {
            sum += a[aOffset + i] * b[bOffset + i];
        }
        return sum;
    }

    /**
     * {@code y += w[wOffset + i] * x[xOffset + i * xStride ..]} for i in [0, count): each element
     * of y takes one fused multiply-add per row, in row order (the scalar tail one multiply and
     * one add), held in a register over the rows rather than stored and reloaded after each.
     * Attention sums the values of a cache block this way.
     */
    public static void axpyRows(float[] y, int yOffset, float[] w, int wOffset, float[] x, int xOffset, int xStride,
                                int count, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector acc = FloatVector.fromArray(F, y, yOffset + i);
            for (int row = 0; row < count; row++) {
                acc = FloatVector.fromArray(F, x, xOffset + row * xStride + i)
                        .fma(FloatVector.broadcast(F, w[wOffset + row]), acc);
            }
            acc.intoArray(y, yOffset + i);
        }
        for (; i < n; i++) {
            float sum = y[yOffset + i];
            for (int row = 0; row < count; row++) {
                sum += w[wOffset + row] * x[xOffset + row * xStride + i];
            }
            y[yOffset + i] = sum;
        }
    }

    /** y += x. */
    public static void add(float[] y, int yOffset, float[] x, int xOffset, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector.fromArray(F, y, yOffset + i).add(FloatVector.fromArray(F, x, xOffset + i)).intoArray(y, yOffset + i);
        }
        for (; i < n; i++) {
            y[yOffset + i] += x[xOffset + i];
        }
    }

    /** out = weight * x / sqrt(mean(x^2) + eps), with weight[0..n). */
    public static void rmsnorm(float[] out, int outOffset, float[] x, int xOffset, float[] weight, int n, float eps) {
        float sumOfSquares = dot(x, xOffset, x, xOffset, n);
        float scale = (float) (1.0 / Math.sqrt(sumOfSquares / n + eps));
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector.fromArray(F, x, xOffset + i).mul(scale).mul(FloatVector.fromArray(F, weight, i))
                    .intoArray(out, outOffset + i);
        }
        for (; i < n; i++) {
            out[outOffset + i] = x[xOffset + i] * scale * weight[i];
        }
    }

    /** x = exp(x - max) / sum(exp(x - max)), in place. */
    public static void softmax(float[] x, int offset, int n) {
        if (n == 0) {
            return;
        }
        int bound = F.loopBound(n);
        float max = Float.NEGATIVE_INFINITY;
        if (bound > 0) {
            FloatVector maxes = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (int i = 0; i < bound; i += F.length()) {
                maxes = maxes.max(FloatVector.fromArray(F, x, offset + i));
            }
            max = maxes.reduceLanes(VectorOperators.MAX);
        }
        for (int i = bound; i < n; i++) {
            max = Math.max(max, x[offset + i]);
        }
        FloatVector sums = FloatVector.zero(F);
        for (int i = 0; i < bound; i += F.length()) {
            FloatVector e = exp(FloatVector.fromArray(F, x, offset + i).sub(max));
            e.intoArray(x, offset + i);
            sums = sums.add(e);
        }
        float sum = Lanes.sum(sums);
        for (int i = bound; i < n; i++) {
            float e = (float) Math.exp(x[offset + i] - max);
            x[offset + i] = e;
            sum += e;
        }
        float inverse = 1f / sum;
        for (int i = 0; i < bound; i += F.length()) {
            FloatVector.fromArray(F, x, offset + i).mul(inverse).intoArray(x, offset + i);
        }
        for (int i = bound; i < n; i++) {
            x[offset + i] *= inverse;
        }
    }

    /** gate = silu(gate) * up, where silu(g) = g / (1 + exp(-g)). */
    public static void siluMul(float[] gate, int offset, float[] up, int upOffset, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, gate, offset + i);
            FloatVector silu = g.div(exp(g.neg()).add(1f));
            silu.mul(FloatVector.fromArray(F, up, upOffset + i)).intoArray(gate, offset + i);
        }
        for (; i < n; i++) {
            float g = gate[offset + i];
            gate[offset + i] = (float) (g / (1.0 + Math.exp(-g))) * up[upOffset + i];
        }
    }

    /**
     * e^x in each lane, within an ulp (0.9 the worst on a fine sweep), from lane-wise IEEE
     * operations only: the Vector API's EXP gives other last bits once C2 compiles it (an
     * SVML-style stub) than before (a Math.exp per lane), which made a seeded run's text depend on
     * the JIT's timing. Scalar Math.exp would be the same in both, but is ten times slower.
     *
     * <p>x = n ln 2 + r with n = round(x / ln 2) and |r| &lt;= ln 2 / 2; e^r by its Taylor series to
     * r^7 (truncation below 1e-8 relative, a sixth of an ulp); 2^n put in the exponent bits, in two
     * factors so that results near overflow and subnormal ones come out right. Beyond [-104, 89]
     * e^x rounds to 0 or overflows to infinity, so x is clamped there, which keeps n in range; NaN
     * stays NaN.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector clamped = x.max(-104f).min(89f);
        FloatVector shifted = clamped.fma(LOG2_E, ROUNDER);
        FloatVector n = shifted.sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), clamped);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = r.fma(1f / 5040, 1f / 720)
                .fma(r, FloatVector.broadcast(F, 1f / 120))
                .fma(r, FloatVector.broadcast(F, 1f / 24))
                .fma(r, FloatVector.broadcast(F, 1f / 6))
                .fma(r, FloatVector.broadcast(F, 0.5f))
                .fma(r, FloatVector.broadcast(F, 1f))
                .fma(r, FloatVector.broadcast(F, 1f));
        // 2^n as 2^(e/2 - 127) * 2^(e - e/2 - 127) with e = n + 254 in 104..382: shifting the
        // rounder's bits left by 23 keeps just e's part of each, as a biased float exponent.
        IntVector bits = shifted.reinterpretAsInts();
        IntVector halfBits = bits.lanewise(VectorOperators.ASHR, 1);
        FloatVector scale1 = halfBits.lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector scale2 = bits.sub(halfBits).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(scale1).mul(scale2);
    }
}

package eu.souverain.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vectorized operations on float arrays for the forward pass; each takes offsets and a length. */
public final class ArrayMath {

    /** Plain float arithmetic, so the widest float vector the CPU has. */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private ArrayMath() {
    }

    public static float dot(float[] a, int aOffset, float[] b, int bOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            acc = FloatVector.fromArray(F, a, aOffset + i).fma(FloatVector.fromArray(F, b, bOffset + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += a[aOffset + i] * b[bOffset + i];
        }
        return sum;
    }

    /** y += a * x. */
    public static void axpy(float[] y, int yOffset, float a, float[] x, int xOffset, int n) {
        FloatVector av = FloatVector.broadcast(F, a);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector.fromArray(F, x, xOffset + i).fma(av, FloatVector.fromArray(F, y, yOffset + i))
                    .intoArray(y, yOffset + i);
        }
        for (; i < n; i++) {
            y[yOffset + i] += a * x[xOffset + i];
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
            FloatVector e = FloatVector.fromArray(F, x, offset + i).sub(max).lanewise(VectorOperators.EXP);
            e.intoArray(x, offset + i);
            sums = sums.add(e);
        }
        float sum = sums.reduceLanes(VectorOperators.ADD);
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
            FloatVector silu = g.div(g.neg().lanewise(VectorOperators.EXP).add(1f));
            silu.mul(FloatVector.fromArray(F, up, upOffset + i)).intoArray(gate, offset + i);
        }
        for (; i < n; i++) {
            float g = gate[offset + i];
            gate[offset + i] = (float) (g / (1.0 + Math.exp(-g))) * up[upOffset + i];
        }
    }
}

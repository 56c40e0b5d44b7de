package eu.souverain.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each operation against a plain loop in double precision, at lengths below, at and around
 * multiples of every vector width (4, 8, 16 floats) so the scalar tails run, and at offsets,
 * with the elements around the range checked untouched.
 */
class ArrayMathTest {

    private static final int OFFSET = 3;
    /** Float rounding: a few units of 2^-24 relative, whatever the summation order over n &le; 100. */
    private static final double RELATIVE = 1e-5;

    private static float[] gaussian(Random random, int n, double scale) {
        float[] values = new float[OFFSET + n + 2];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * scale);
        }
        return values;
    }

    private static void assertOutsideUntouched(float[] actual, float[] original, int n) {
        for (int i = 0; i < actual.length; i++) {
            if (i < OFFSET || i >= OFFSET + n) {
                assertThat(actual[i]).as("element %d outside the range", i).isEqualTo(original[i]);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 100})
    void dot(int n) {
        Random random = new Random(n);
        float[] a = gaussian(random, n, 1);
        float[] b = gaussian(random, n, 1);
        double expected = 0;
        double magnitude = 0;
        for (int i = 0; i < n; i++) {
            expected += (double) a[OFFSET + i] * b[1 + i];
            magnitude += Math.abs((double) a[OFFSET + i] * b[1 + i]);
        }
        assertThat((double) ArrayMath.dot(a, OFFSET, b, 1, n)).isCloseTo(expected, offset(RELATIVE * magnitude + 1e-30));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 100})
    void axpyAndAdd(int n) {
        Random random = new Random(n);
        float[] y = gaussian(random, n, 1);
        float[] x = gaussian(random, n, 1);
        float[] original = y.clone();
        ArrayMath.axpyRows(y, OFFSET, new float[] {-1.5f}, 0, x, 1, 0, 1, n);
        for (int i = 0; i < n; i++) {
            double expected = original[OFFSET + i] + -1.5 * x[1 + i];
            // One rounding (fused) or two (multiply, then add): within 2^-23 of the operands.
            double bound = 0x1p-23 * (Math.abs(original[OFFSET + i]) + Math.abs(1.5 * x[1 + i]));
            assertThat((double) y[OFFSET + i]).isCloseTo(expected, offset(bound));
        }
        assertOutsideUntouched(y, original, n);

        float[] sum = original.clone();
        ArrayMath.add(sum, OFFSET, x, 1, n);
        for (int i = 0; i < n; i++) {
            assertThat(sum[OFFSET + i]).isEqualTo(original[OFFSET + i] + x[1 + i]);
        }
        assertOutsideUntouched(sum, original, n);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 100})
    void rmsnorm(int n) {
        Random random = new Random(n);
        float[] x = gaussian(random, n, 3);
        float[] weight = gaussian(random, n, 1);
        float[] out = gaussian(random, n, 1);
        float[] original = out.clone();
        float eps = 1e-5f;
        ArrayMath.rmsnorm(out, OFFSET, x, 1, weight, n, eps);
        double squares = 0;
        for (int i = 0; i < n; i++) {
            squares += (double) x[1 + i] * x[1 + i];
        }
        double scale = 1 / Math.sqrt(squares / n + eps);
        for (int i = 0; i < n; i++) {
            double expected = weight[i] * x[1 + i] * scale;
            assertThat((double) out[OFFSET + i]).isCloseTo(expected, offset(RELATIVE * Math.abs(expected) + 1e-30));
        }
        assertOutsideUntouched(out, original, n);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 100})
    void softmax(int n) {
        Random random = new Random(n);
        float[] x = gaussian(random, n, 4);
        x[OFFSET + n - 1] = 30;   // the maximum in the tail, far above the rest
        float[] original = x.clone();
        ArrayMath.softmax(x, OFFSET, n);
        double max = 30;
        double total = 0;
        for (int i = 0; i < n; i++) {
            total += Math.exp(original[OFFSET + i] - max);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double expected = Math.exp(original[OFFSET + i] - max) / total;
            assertThat((double) x[OFFSET + i]).isCloseTo(expected, offset(RELATIVE * expected + 1e-30));
            sum += x[OFFSET + i];
        }
        assertThat(sum).isCloseTo(1.0, offset(1e-5));
        assertOutsideUntouched(x, original, n);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 100})
    void siluMul(int n) {
        Random random = new Random(n);
        float[] gate = gaussian(random, n, 4);
        float[] up = gaussian(random, n, 1);
        float[] original = gate.clone();
        ArrayMath.siluMul(gate, OFFSET, up, 1, n);
        for (int i = 0; i < n; i++) {
            double g = original[OFFSET + i];
            double expected = g / (1 + Math.exp(-g)) * up[1 + i];
            assertThat((double) gate[OFFSET + i]).isCloseTo(expected, offset(RELATIVE * Math.abs(expected) + 1e-30));
        }
        assertOutsideUntouched(gate, original, n);
    }

    private static float[] exp(float[] x) {
        int lanes = Lanes.F.length();
        float[] padded = java.util.Arrays.copyOf(x, (x.length + lanes - 1) / lanes * lanes);
        float[] result = new float[padded.length];
        for (int i = 0; i < padded.length; i += lanes) {
            ArrayMath.exp(FloatVector.fromArray(Lanes.F, padded, i)).intoArray(result, i);
        }
        return java.util.Arrays.copyOf(result, x.length);
    }

    /**
     * Within 1 ulp of e^x (Math.exp in double) from where it rounds to 0 to just below overflow,
     * every 2^-9 and at random points; subnormal results count in units of the smallest subnormal.
     */
    @Test
    void expIsWithinOneUlpOfMathExp() {
        Random random = new Random(7);
        int grid = (int) ((88.72 + 104) * 512);
        float[] x = new float[grid + 50_000];
        for (int i = 0; i < grid; i++) {
            x[i] = -104f + i / 512f;
        }
        for (int i = grid; i < x.length; i++) {
            x[i] = (float) (-104 + random.nextDouble() * (88.72 + 104));
        }
        float[] actual = exp(x);
        double worst = 0;
        float worstAt = 0;
        for (int i = 0; i < x.length; i++) {
            double expected = Math.exp(x[i]);
            double ulps = Math.abs(actual[i] - expected) / Math.ulp((float) expected);
            if (ulps > worst) {
                worst = ulps;
                worstAt = x[i];
            }
        }
        assertThat(worst).as("worst error, at x = %s", worstAt).isLessThanOrEqualTo(1);
    }

    @Test
    void expAtTheEndsOfItsRange() {
        float[] x = {0f, -0f, 1f, -1f, 88.8f, 89f, 1000f, Float.POSITIVE_INFINITY,
                -104f, -110f, Float.NEGATIVE_INFINITY, -Float.MAX_VALUE, Float.NaN};
        float[] expected = {1f, 1f, (float) Math.E, (float) (1 / Math.E), Float.POSITIVE_INFINITY,
                Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY, 0f, 0f, 0f, 0f, Float.NaN};
        assertThat(exp(x)).containsExactly(expected);
    }

    /** y += a * x, one row at a time: what attention did per position before it summed by blocks. */
    private static void axpy(float[] y, int yOffset, float a, float[] x, int xOffset, int n) {
        FloatVector av = FloatVector.broadcast(Lanes.F, a);
        int i = 0;
        for (int bound = Lanes.F.loopBound(n); i < bound; i += Lanes.L) {
            FloatVector yv = FloatVector.fromArray(Lanes.F, y, yOffset + i);
            FloatVector.fromArray(Lanes.F, x, xOffset + i).fma(av, yv).intoArray(y, yOffset + i);
        }
        for (; i < n; i++) {
            y[yOffset + i] += a * x[xOffset + i];
        }
    }

    /** Head sizes of the models (64, 128), one below a vector, and ones with a scalar tail. */
    @ParameterizedTest
    @ValueSource(ints = {64, 128, 3, 70, 100})
    void weightedRowsAddAsRepeatedAxpy(int n) {
        Random random = new Random(n);
        int stride = n + 7;
        for (int count : new int[] {1, 5, 16}) {
            float[] w = gaussian(random, count + 1, 1);
            float[] x = gaussian(random, 4 + count * stride, 10);
            float[] y = gaussian(random, n + 3, 1);
            float[] expected = y.clone();
            for (int row = 0; row < count; row++) {
                axpy(expected, 3, w[1 + row], x, 4 + row * stride, n);
            }
            ArrayMath.axpyRows(y, 3, w, 1, x, 4, stride, count, n);
            assertThat(y).as("%d rows", count).containsExactly(expected);
        }
    }
}

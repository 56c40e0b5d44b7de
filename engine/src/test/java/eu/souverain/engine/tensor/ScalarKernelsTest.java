package eu.souverain.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The scalar stand-ins give the vector kernels' very bits, so that a sequence's tokens do not
 * depend on which of them ran ({@link VectorWarmUp}): each against its vector kernel, at lengths
 * below, at and around multiples of every vector width so the scalar tails run, at offsets, on
 * values of every magnitude an activation may take.
 */
class ScalarKernelsTest {

    private static final int[] LENGTHS = {1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 64, 100, 172, 525};
    private static final int OFFSET = 3;

    private static float[] values(Random random, int n, double scale) {
        float[] values = new float[OFFSET + n + 2];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * scale);
        }
        return values;
    }

    private static void assertSameBits(float[] scalar, float[] vector, String what) {
        int[] a = new int[scalar.length];
        int[] b = new int[vector.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = Float.floatToRawIntBits(scalar[i]);
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = Float.floatToRawIntBits(vector[i]);
        }
        assertThat(a).as(what).isEqualTo(b);
    }

    private static void assertSameBits(float scalar, float vector, String what) {
        assertThat(Float.floatToRawIntBits(scalar)).as("%s: %s against %s", what, scalar, vector)
                .isEqualTo(Float.floatToRawIntBits(vector));
    }

    @Test
    void dotAddAndRmsnorm() {
        for (int n : LENGTHS) {
            Random random = new Random(n);
            float[] a = values(random, n, 1);
            float[] b = values(random, n, 3);
            assertSameBits(ScalarKernels.dot(a, OFFSET, b, 1, n), ArrayMath.dot(a, OFFSET, b, 1, n), "dot " + n);

            float[] scalar = b.clone();
            float[] vector = b.clone();
            ScalarKernels.add(scalar, 1, a, OFFSET, n);
            ArrayMath.add(vector, 1, a, OFFSET, n);
            assertSameBits(scalar, vector, "add " + n);

            float[] weight = values(random, n, 1);
            Arrays.fill(scalar, 0f);
            Arrays.fill(vector, 0f);
            ScalarKernels.rmsnorm(scalar, 1, a, OFFSET, weight, n, 1e-5f);
            ArrayMath.rmsnorm(vector, 1, a, OFFSET, weight, n, 1e-5f);
            assertSameBits(scalar, vector, "rmsnorm " + n);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 5, 16})
    void axpyRows(int count) {
        for (int n : LENGTHS) {
            Random random = new Random(n * 31L + count);
            int stride = n + 5;
            float[] w = values(random, count, 0.3);
            float[] x = new float[OFFSET + count * stride];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextGaussian();
            }
            float[] y = values(random, n, 1);
            float[] scalar = y.clone();
            float[] vector = y.clone();
            ScalarKernels.axpyRows(scalar, OFFSET, w, 1, x, OFFSET, stride, count, n);
            ArrayMath.axpyRows(vector, OFFSET, w, 1, x, OFFSET, stride, count, n);
            assertSameBits(scalar, vector, "axpyRows " + count + " x " + n);
        }
    }

    /** Scores spread as attention's are, with masked positions, and gates far beyond exp's range. */
    @Test
    void softmaxAndSiluMul() {
        for (int n : LENGTHS) {
            Random random = new Random(n);
            float[] scores = values(random, n, 12);
            scores[OFFSET + n / 2] = Float.NEGATIVE_INFINITY;
            float[] scalar = scores.clone();
            float[] vector = scores.clone();
            ScalarKernels.softmax(scalar, OFFSET, n);
            ArrayMath.softmax(vector, OFFSET, n);
            assertSameBits(scalar, vector, "softmax " + n);

            float[] gate = values(random, n, 40);
            float[] up = values(random, n, 1);
            scalar = gate.clone();
            vector = gate.clone();
            ScalarKernels.siluMul(scalar, OFFSET, up, 1, n);
            ArrayMath.siluMul(vector, OFFSET, up, 1, n);
            assertSameBits(scalar, vector, "siluMul " + n);
        }
    }

    /** Every 2^-7 over exp's whole range and past both ends, and the infinities. */
    @Test
    void exp() {
        int lanes = Lanes.L;
        int count = (int) ((200 + 200) * 128);
        float[] x = new float[(count + 2 + lanes - 1) / lanes * lanes];
        for (int i = 0; i < count; i++) {
            x[i] = -200f + i / 128f;
        }
        x[count] = Float.NEGATIVE_INFINITY;
        x[count + 1] = Float.POSITIVE_INFINITY;
        float[] vector = new float[x.length];
        for (int i = 0; i < x.length; i += lanes) {
            ArrayMath.exp(FloatVector.fromArray(Lanes.F, x, i)).intoArray(vector, i);
        }
        float[] scalar = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            scalar[i] = ScalarKernels.exp(x[i]);
        }
        assertSameBits(scalar, vector, "exp");
    }

    @Test
    void runSums() {
        for (int n : new int[] {32, 64, 96, 172, 525}) {
            Random random = new Random(n);
            float[] x = values(random, n, 2);
            float[] scalar = new float[n / PreparedVector.RUN];
            float[] vector = new float[n / PreparedVector.RUN];
            ScalarKernels.runSums(x, OFFSET, n, scalar);
            PreparedVector.vectorSums(x, OFFSET, n, vector);
            assertSameBits(scalar, vector, "run sums " + n);
        }
    }

    /**
     * The 8-bit quantization of runs, on values of every scale, with ties (x / d at k + 0.5) and
     * runs of zeros: the quants, scales and offsets are the vector code's.
     */
    @Test
    void quantizeRuns() {
        for (double scale : new double[] {1e-30, 1e-3, 1, 1e4}) {
            int runs = 5;
            Random random = new Random((long) (scale * 7) + 1);
            float[] x = values(random, runs * PreparedVector.RUN, scale);
            Arrays.fill(x, OFFSET + PreparedVector.RUN, OFFSET + 2 * PreparedVector.RUN, 0f);
            x[OFFSET + 2 * PreparedVector.RUN] = 127;
            x[OFFSET + 2 * PreparedVector.RUN + 1] = 2.5f;
            x[OFFSET + 2 * PreparedVector.RUN + 2] = -2.5f;
            x[OFFSET + 2 * PreparedVector.RUN + 3] = -0f;
            short[] scalarQuants = new short[runs * PreparedVector.RUN];
            short[] vectorQuants = new short[runs * PreparedVector.RUN];
            float[] scalarScales = new float[runs];
            float[] vectorScales = new float[runs];
            short[] scalarOffsets = new short[runs];
            short[] vectorOffsets = new short[runs];
            ScalarKernels.quantizeRuns(x, OFFSET, runs, scalarQuants, scalarScales, scalarOffsets);
            PreparedVector.vectorQuantize(x, OFFSET, runs, vectorQuants, vectorScales, vectorOffsets);
            assertThat(scalarQuants).as("quants at scale %s", scale).containsExactly(vectorQuants);
            assertSameBits(scalarScales, vectorScales, "scales at scale " + scale);
            assertThat(scalarOffsets).as("offsets at scale %s", scale).containsExactly(vectorOffsets);
            if (scale < 1) {
                // Run 2's largest is 127, so its scale is 1 and 2.5 is a tie, rounded away from zero.
                assertThat(vectorQuants[2 * PreparedVector.RUN + 1]).isEqualTo((short) 3);
                assertThat(vectorQuants[2 * PreparedVector.RUN + 2]).isEqualTo((short) -3);
                assertThat(vectorQuants[2 * PreparedVector.RUN]).isEqualTo((short) 127);
            }
            assertThat(vectorScales[1]).isZero();
        }
    }

    /** The tiled formats' scalar stand-in gives their vector kernels' bits, alone and four at a time. */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = GGMLType.class, names = {"Q4_0", "Q4_K", "Q6_K"})
    void tiledKernels(GGMLType type) {
        Random random = new Random(type.ordinal());
        int cols = 512;
        int rows = TiledFormat.R;
        float[] weights = values(random, rows * cols, 0.1);
        TiledFormat format = (TiledFormat) WeightFormat.of(type);
        byte[] bytes = Quantizer.quantize(type, Arrays.copyOf(weights, rows * cols));
        MemorySegment tiles = format.arrange(MemorySegment.ofArray(bytes), rows, cols);
        for (double scale : new double[] {1e-3, 1, 1e3}) {
            float[] x = values(random, 4 * cols, scale);
            PreparedVector[] xs = new PreparedVector[4];
            for (int v = 0; v < 4; v++) {
                xs[v] = PreparedVector.of(x, v * cols, cols);
            }
            float[] four = new float[4 * rows];
            format.tileFour(tiles, cols, 0, xs, 0, 4, four, 0, rows, 2 * rows, 3 * rows);
            for (int v = 0; v < 4; v++) {
                float[] scalar = new float[rows];
                float[] vector = new float[rows];
                format.tileScalar(tiles, cols, 0, xs[v], scalar, 0);
                format.tile(tiles, cols, 0, xs[v], vector, 0);
                assertSameBits(scalar, vector, type + " vector " + v + " at scale " + scale);
                assertSameBits(scalar, Arrays.copyOfRange(four, v * rows, (v + 1) * rows), type + " of four, " + v);
            }
        }
    }

    /** Float matrices in native memory, as a mapped file is: a row's products and a block's. */
    @Test
    void f32RowsAndBlocks() {
        for (int cols : new int[] {16, 17, 64, 100, 172, 525}) {
            Random random = new Random(cols);
            int rows = BlockMatmul.STRIP + 3;
            MemorySegment data = Arena.ofAuto().allocate(4L * rows * cols);
            for (int i = 0; i < rows * cols; i++) {
                data.setAtIndex(F32Format.FLOAT_LE, i, (float) (random.nextGaussian() * 0.1));
            }
            float[] x = values(random, cols, 1);
            float[] scalar = new float[rows + 2];
            float[] vector = new float[rows + 2];
            ScalarKernels.f32Rows(data, cols, x, OFFSET, scalar, 2, 1, rows);
            for (int r = 1; r < rows; r++) {
                vector[2 + r] = F32Format.dot(data, 4L * cols * r, x, OFFSET, cols);
            }
            assertSameBits(scalar, vector, "rows of " + cols);

            for (int tokens : new int[] {1, 4, 5, 9}) {
                float[] block = new float[tokens * cols];
                for (int i = 0; i < block.length; i++) {
                    block[i] = (float) random.nextGaussian();
                }
                float[] scalarOut = new float[tokens * rows];
                float[] vectorOut = new float[tokens * rows];
                ScalarKernels.f32Block(data, rows, cols, block, tokens, scalarOut, 0, rows);
                BlockMatmul.multiply(F32Format.INSTANCE, data, 4L * cols, rows, cols, block, tokens, vectorOut, 0, rows,
                        new float[BlockMatmul.scratchLength(cols)]);
                assertSameBits(scalarOut, vectorOut, tokens + " tokens through rows of " + cols);
            }
        }
    }
}

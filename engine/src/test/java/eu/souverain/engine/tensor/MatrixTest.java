package eu.souverain.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The vector kernels against the scalar reference: each row decoded by {@link ScalarReference}
 * and dotted in double precision.
 */
class MatrixTest {

    private static final int ROWS = 5;

    /**
     * Three blocks for the block types (not a power of two); for the plain float types a length
     * that leaves a tail after the vector loop whatever the vector width.
     */
    private static int cols(GGMLType type) {
        return type.blockSize() == 1 ? 3 * 64 + 13 : 3 * type.blockSize();
    }

    /** The matrix bytes in native memory at an odd address, as a tensor inside a mapped file may be. */
    private static Matrix matrix(Arena arena, GGMLType type, byte[] bytes, int rows, int cols) {
        MemorySegment segment = arena.allocate(bytes.length + 1).asSlice(1);
        segment.copyFrom(MemorySegment.ofArray(bytes));
        return Matrix.of(type, segment, rows, cols);
    }

    private static float[] gaussian(Random random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    /** Random block bytes with every scale field set to a finite f16, so the quants are arbitrary. */
    private static byte[] randomBlocks(Random random, GGMLType type, int blocks) {
        byte[] bytes = new byte[blocks * type.blockBytes()];
        random.nextBytes(bytes);
        for (int b = 0; b < blocks; b++) {
            int block = b * type.blockBytes();
            switch (type) {
                case F16 -> {
                    // Any finite half, subnormals included: exponent field 0..30.
                    short bits = (short) (random.nextInt(0x10000) & 0x83FF | random.nextInt(31) << 10);
                    putShort(bytes, block, bits);
                }
                case BF16 -> {
                    // Magnitudes 2^-17 to 2^13, so that products stay far from overflow.
                    short bits = (short) (random.nextInt(0x10000) & 0x807F | (110 + random.nextInt(30)) << 7);
                    putShort(bytes, block, bits);
                }
                case Q8_0, Q4_0 -> putShort(bytes, block, randomScale(random));
                case Q4_K, Q5_K -> {
                    putShort(bytes, block, randomScale(random));
                    putShort(bytes, block + 2, randomScale(random));
                }
                case Q6_K -> putShort(bytes, block + 208, randomScale(random));
                case F32 -> {
                    float value = (float) random.nextGaussian();
                    int bits = Float.floatToRawIntBits(value);
                    putShort(bytes, block, (short) bits);
                    putShort(bytes, block + 2, (short) (bits >>> 16));
                }
                default -> throw new IllegalArgumentException(type.toString());
            }
        }
        return bytes;
    }

    private static short randomScale(Random random) {
        return Float.floatToFloat16((float) ((random.nextBoolean() ? 1 : -1) * Math.pow(10, -3 + 2 * random.nextDouble())));
    }

    private static void putShort(byte[] bytes, int offset, short value) {
        bytes[offset] = (byte) value;
        bytes[offset + 1] = (byte) (value >>> 8);
    }

    /**
     * Checks dot, matmul and dequantizeRow of every row against the reference.
     *
     * <p>Tolerance: the kernel sums n &le; 768 float products in its own order (lanes, then a
     * reduction), each rounding error at most 2^-24 of a partial sum bounded by sum |w x|; the
     * worst case n * 2^-24 ~ 4.6e-5 of sum |w x|. Decoding a weight with one fused multiply-add
     * instead of a multiply and a subtract changes it by up to 2^-24 of its parts, which for the
     * min-carrying K-quants can be a few times |w|. 2e-4 of sum |w x| covers both; a wrong
     * layout is off by the order of sum |w x| itself. The tiled formats multiply with the vector
     * quantized to 8 bits ({@link #kernelInput}), which the reference then dots too.
     */
    private static void assertKernelsMatchReference(Matrix matrix, MemorySegment data, Random random) {
        GGMLType type = matrix.type();
        int cols = matrix.cols();
        int xOffset = 5;
        float[] x = new float[xOffset + cols + 3];
        float[] values = gaussian(random, cols);
        System.arraycopy(values, 0, x, xOffset, cols);
        double[] input = kernelInput(type, values);

        float[] expected = new float[matrix.rows()];
        float[] row = new float[cols];
        for (int r = 0; r < matrix.rows(); r++) {
            ScalarReference.dequantize(type, data, r * type.byteSize(cols), row, 0, cols);
            double sum = 0;
            double magnitude = 0;
            for (int i = 0; i < cols; i++) {
                sum += row[i] * input[i];
                magnitude += Math.abs(row[i] * input[i]);
            }
            assertThat(magnitude).as("row %d has weight", r).isGreaterThan(0);
            float dot = matrix.dot(r, x, xOffset);
            assertThat((double) dot).as("%s row %d", type, r)
                    .isCloseTo(sum, org.assertj.core.data.Offset.offset(2e-4 * magnitude));
            expected[r] = dot;

            float[] decoded = new float[cols + 2];
            matrix.dequantizeRow(r, decoded, 2);
            assertThat(Arrays.copyOfRange(decoded, 2, cols + 2)).containsExactly(row);
        }

        float[] out = new float[matrix.rows() + 4];
        Arrays.fill(out, Float.NaN);
        matrix.matmul(x, xOffset, out, 3, 1, matrix.rows() - 1);
        assertThat(out[3]).isNaN();
        for (int r = 1; r < matrix.rows() - 1; r++) {
            assertThat(out[3 + r]).isEqualTo(expected[r]);
        }
        assertThat(out[3 + matrix.rows() - 1]).isNaN();
    }

    /**
     * The vector the kernels of {@code type} multiply {@code x} as: x itself, or for the tiled
     * formats (Q4_0, Q4_K, Q6_K) x quantized to 8 bits per run of 32 (q * d with d = max |x| / 127), which is within half a step
     * of x.
     */
    static double[] kernelInput(GGMLType type, float[] x) {
        double[] input = new double[x.length];
        if (!(WeightFormat.of(type) instanceof TiledFormat)) {
            for (int i = 0; i < x.length; i++) {
                input[i] = x[i];
            }
            return input;
        }
        PreparedVector prepared = PreparedVector.of(x, 0, x.length);
        for (int i = 0; i < x.length; i++) {
            double d = prepared.quantScales()[i / 32];
            short q = prepared.quants()[i];
            assertThat(Math.abs(q)).isLessThanOrEqualTo(127);
            input[i] = q * d;
            assertThat(Math.abs(input[i] - x[i])).as("element %d", i).isLessThanOrEqualTo(d * 0.5000001);
        }
        return input;
    }

    /**
     * Q4_0's kernels convert the f16 scales in vector lanes: one row per f16 bit pattern, quants
     * all 9 (weight 1 * scale) times a vector of ones (quants 127, scale 1/127), so each result is
     * fma(32 * 127, scale * (1/127), 0), which only the scale's conversion can change.
     */
    @Test
    void q4_0KernelsConvertEveryScaleExactly() {
        int rows = 0x10000;
        byte[] bytes = new byte[rows * 18];
        for (int r = 0; r < rows; r++) {
            putShort(bytes, r * 18, (short) r);
            Arrays.fill(bytes, r * 18 + 2, r * 18 + 18, (byte) 0x99);
        }
        Matrix matrix = Matrix.of(GGMLType.Q4_0, MemorySegment.ofArray(bytes), rows, 32);
        float[] ones = new float[32];
        Arrays.fill(ones, 1f);
        PreparedVector x = PreparedVector.of(ones, 0, 32);
        float d = x.quantScales()[0];
        float[] alone = new float[rows];
        matrix.matmul(x, alone, 0, 0, rows);
        float[] batched = new float[2 * rows];
        matrix.matmul(new PreparedVector[] {x, x}, 2, batched, rows, 0, rows);
        for (int r = 0; r < rows; r++) {
            float want = Math.fma(32f * 127, Float.float16ToFloat((short) r) * d, 0f);
            for (float got : new float[] {alone[r], batched[r], batched[rows + r]}) {
                if (Float.isNaN(want)) {
                    assertThat(got).as("scale %04x", r).isNaN();
                } else {
                    assertThat(Float.floatToRawIntBits(got)).as("scale %04x", r).isEqualTo(Float.floatToRawIntBits(want));
                }
            }
        }
    }

    /**
     * Q4_0's integer sums at their extremes, every weight -8 or 7 times quants of +-127: a sum
     * wrapped wrongly in 16 bits would be off by 65,536 steps (516 here), float rounding by 1e-5.
     */
    @Test
    void q4_0IntegerSumsReachTheirBoundsExactly() {
        int cols = 64;
        float[] weights = new float[2 * cols];
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) {
            weights[i] = -8;           // row 0: the most negative quant everywhere (scale 1)
            weights[cols + i] = i < 32 ? 7 : -8;
            x[i] = i % 3 == 0 ? -1 : 1;
        }
        weights[cols + 32] = 8;        // row 1, second block: scale -1, quants -8 .. 7
        Matrix matrix = Matrix.of(GGMLType.Q4_0, MemorySegment.ofArray(Quantizer.quantize(GGMLType.Q4_0, weights)), 2, cols);
        double[] input = kernelInput(GGMLType.Q4_0, x);
        float[] decoded = new float[cols];
        for (int r = 0; r < 2; r++) {
            matrix.dequantizeRow(r, decoded, 0);
            double sum = 0;
            for (int i = 0; i < cols; i++) {
                sum += decoded[i] * input[i];
            }
            assertThat((double) matrix.dot(r, x, 0)).as("row %d", r).isCloseTo(sum, org.assertj.core.data.Offset.offset(1e-4));
        }
    }

    @ParameterizedTest
    @EnumSource(value = GGMLType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"})
    void kernelsMatchReferenceOnQuantizedWeights(GGMLType type) {
        Random random = new Random(type.ordinal());
        int cols = cols(type);
        byte[] bytes = Quantizer.quantize(type, gaussian(random, ROWS * cols));
        try (Arena arena = Arena.ofConfined()) {
            Matrix matrix = matrix(arena, type, bytes, ROWS, cols);
            assertThat(matrix.rows()).isEqualTo(ROWS);
            assertThat(matrix.cols()).isEqualTo(cols);
            assertKernelsMatchReference(matrix, MemorySegment.ofArray(bytes), random);
        }
    }

    @ParameterizedTest
    @EnumSource(value = GGMLType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"})
    void kernelsMatchReferenceOnRandomBlockBytes(GGMLType type) {
        Random random = new Random(100 + type.ordinal());
        int cols = cols(type);
        byte[] bytes = randomBlocks(random, type, ROWS * cols / type.blockSize());
        try (Arena arena = Arena.ofConfined()) {
            Matrix matrix = matrix(arena, type, bytes, ROWS, cols);
            assertKernelsMatchReference(matrix, MemorySegment.ofArray(bytes), random);
        }
    }

    /** One prepared vector reused for another vector gives the products of a freshly prepared one. */
    @ParameterizedTest
    @EnumSource(value = GGMLType.class, names = {"Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"})
    void preparedVectorCanBeReused(GGMLType type) {
        Random random = new Random(200 + type.ordinal());
        int cols = cols(type);
        byte[] bytes = Quantizer.quantize(type, gaussian(random, ROWS * cols));
        float[] first = gaussian(random, cols + 7);
        float[] second = gaussian(random, cols + 7);
        try (Arena arena = Arena.ofConfined()) {
            Matrix matrix = matrix(arena, type, bytes, ROWS, cols);
            PreparedVector prepared = new PreparedVector(cols + 64);
            prepared.prepare(first, 7, cols);
            float[] fromFirst = new float[ROWS];
            matrix.matmul(prepared, fromFirst, 0, 0, ROWS);
            prepared.prepare(second, 3, cols);
            float[] reused = new float[ROWS];
            matrix.matmul(prepared, reused, 0, 0, ROWS);
            float[] fresh = new float[ROWS];
            matrix.matmul(second, 3, fresh, 0, 0, ROWS);
            assertThat(reused).containsExactly(fresh);
            assertThat(reused).isNotEqualTo(fromFirst);
        }
    }

    /** Several vectors at once give, bit for bit, each vector's product alone, at any count. */
    @ParameterizedTest
    @EnumSource(value = GGMLType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"})
    void batchedProductsEqualEachProductAlone(GGMLType type) {
        Random random = new Random(300 + type.ordinal());
        int cols = cols(type);
        int rows = 2 * ROWS + 1;
        byte[] bytes = Quantizer.quantize(type, gaussian(random, rows * cols));
        int stride = rows + 3;
        try (Arena arena = Arena.ofConfined()) {
            Matrix matrix = matrix(arena, type, bytes, rows, cols);
            for (int count : new int[] {1, 2, 3, 5, 8, 9}) {
                PreparedVector[] xs = new PreparedVector[count];
                for (int v = 0; v < count; v++) {
                    xs[v] = PreparedVector.of(gaussian(random, cols), 0, cols);
                }
                // From row 1, an even number of rows; from row 0, an odd one (Q4_0 goes by pairs).
                for (int from = 1; from >= 0; from--) {
                    float[] out = new float[count * stride];
                    Arrays.fill(out, Float.NaN);
                    matrix.matmul(xs, count, out, stride, from, rows);
                    for (int v = 0; v < count; v++) {
                        float[] alone = new float[rows];
                        matrix.matmul(xs[v], alone, 0, from, rows);
                        if (from == 1) {
                            assertThat(out[v * stride]).isNaN();
                        }
                        for (int r = from; r < rows; r++) {
                            assertThat(out[v * stride + r]).as("vector %d of %d, row %d from %d", v, count, r, from)
                                    .isEqualTo(alone[r]);
                        }
                    }
                }
            }
        }
    }

    @Test
    void preparedVectorRefusesWrongLengths() {
        PreparedVector prepared = new PreparedVector(64);
        assertThatThrownBy(() -> prepared.prepare(new float[96], 0, 96))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("capacity of 64");
        assertThatThrownBy(() -> prepared.prepare(new float[64], 1, 64))
                .isInstanceOf(IndexOutOfBoundsException.class);
        prepared.prepare(new float[64], 0, 32);
        Matrix matrix = Matrix.of(GGMLType.Q4_0, MemorySegment.ofArray(new byte[2 * 36]), 2, 64);
        assertThatThrownBy(() -> matrix.matmul(prepared, new float[2], 0, 0, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("32 elements");
    }

    @Test
    void f16KernelDecodesInfinityAndNaN() {
        float[] ones = new float[64];
        Arrays.fill(ones, 1f);
        float[] weights = new float[128];
        Arrays.fill(weights, 0.5f);
        weights[3] = Float.POSITIVE_INFINITY;
        weights[64 + 40] = Float.NaN;
        Matrix matrix = Matrix.of(GGMLType.F16, MemorySegment.ofArray(Quantizer.quantize(GGMLType.F16, weights)), 2, 64);
        assertThat(matrix.dot(0, ones, 0)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(matrix.dot(1, ones, 0)).isNaN();
    }

    @Test
    void refusesMismatchedShapes() {
        MemorySegment data = MemorySegment.ofArray(new byte[2 * 18]);
        assertThat(Matrix.of(GGMLType.Q4_0, data, 2, 32).toString()).contains("Q4_0", "2 x 32");
        assertThatThrownBy(() -> Matrix.of(GGMLType.Q4_0, data, 1, 32))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("18 bytes");
        assertThatThrownBy(() -> Matrix.of(GGMLType.Q4_0, data, 2, 36))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiple of 32");
        assertThatThrownBy(() -> Matrix.of(GGMLType.Q4_1, MemorySegment.ofArray(new byte[20]), 1, 32))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Q4_1");
        Matrix matrix = Matrix.of(GGMLType.Q4_0, data, 2, 32);
        assertThatThrownBy(() -> matrix.dot(2, new float[32], 0)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> matrix.matmul(new float[32], 0, new float[2], 0, 0, 3))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }
}

package eu.souverain.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** The block product against the scalar reference, and against itself over other tilings. */
class BlockMatmulTest {

    /** Two full strips and a strip of one row. */
    private static final int ROWS = 9;
    /** Two tiles of four tokens and one token left over. */
    private static final int TOKENS = 9;

    private static float[] gaussian(Random random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    /** Tokens t in [0, tokens) of {@code x}, each {@code cols} long, prepared. */
    static PreparedVector[] prepared(float[] x, int tokens, int cols) {
        PreparedVector[] xs = new PreparedVector[tokens];
        for (int t = 0; t < tokens; t++) {
            xs[t] = PreparedVector.of(x, t * cols, cols);
        }
        return xs;
    }

    private static Matrix matrix(Arena arena, GGMLType type, Random random, int cols) {
        byte[] bytes = Quantizer.quantize(type, gaussian(random, ROWS * cols));
        MemorySegment segment = arena.allocate(bytes.length + 1).asSlice(1);
        segment.copyFrom(MemorySegment.ofArray(bytes));
        return Matrix.of(type, segment, ROWS, cols);
    }

    /**
     * Every entry within 2e-4 of sum |w x| of the double-precision product of the reference
     * decoding (see MatrixTest for why); and the same bits whether a row and token fall in a
     * 4 x 4 tile or among the rows and tokens left over, so that a row split across threads or a
     * prompt cut into other blocks computes each entry identically.
     */
    private static void assertBlockProductIsRight(Matrix matrix, Random random) {
        int cols = matrix.cols();
        float[] x = gaussian(random, TOKENS * cols);
        float[] scratch = new float[BlockMatmul.scratchLength(cols)];
        float[] all = new float[TOKENS * ROWS];
        PreparedVector[] xs = prepared(x, TOKENS, cols);
        matrix.matmulBlock(xs, TOKENS, all, 0, ROWS, scratch);

        float[] row = new float[cols];
        for (int r = 0; r < ROWS; r++) {
            matrix.dequantizeRow(r, row, 0);
            for (int t = 0; t < TOKENS; t++) {
                double[] input = MatrixTest.kernelInput(matrix.type(), Arrays.copyOfRange(x, t * cols, (t + 1) * cols));
                double sum = 0;
                double magnitude = 0;
                for (int i = 0; i < cols; i++) {
                    sum += row[i] * input[i];
                    magnitude += Math.abs(row[i] * input[i]);
                }
                assertThat((double) all[t * ROWS + r]).as("%s token %d row %d", matrix.type(), t, r)
                        .isCloseTo(sum, org.assertj.core.data.Offset.offset(2e-4 * magnitude));
            }
        }

        // Rows 1..7 and tokens 0..5: other strips, and tokens 4, 5 now left over instead of tiled.
        float[] part = new float[TOKENS * ROWS];
        Arrays.fill(part, Float.NaN);
        matrix.matmulBlock(xs, 6, part, 1, ROWS - 1, scratch);
        for (int t = 0; t < TOKENS; t++) {
            for (int r = 0; r < ROWS; r++) {
                if (t < 6 && r >= 1 && r < ROWS - 1) {
                    assertThat(part[t * ROWS + r]).as("token %d row %d", t, r).isEqualTo(all[t * ROWS + r]);
                } else {
                    assertThat(part[t * ROWS + r]).as("token %d row %d untouched", t, r).isNaN();
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GGMLType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"})
    void blockProductMatchesTheReference(GGMLType type) {
        Random random = new Random(7 + type.ordinal());
        try (Arena arena = Arena.ofConfined()) {
            assertBlockProductIsRight(matrix(arena, type, random, 3 * Math.max(type.blockSize(), 64)), random);
        }
    }

    @ParameterizedTest
    @EnumSource(value = GGMLType.class, names = {"F32", "F16", "BF16"})
    void rowsThatAreNotWholeVectorsGetTheirTail(GGMLType type) {
        Random random = new Random(70 + type.ordinal());
        try (Arena arena = Arena.ofConfined()) {
            assertBlockProductIsRight(matrix(arena, type, random, 3 * 64 + 13), random);
        }
    }

    @Test
    void refusesBuffersTooSmall() {
        Matrix matrix = Matrix.of(GGMLType.F32, MemorySegment.ofArray(new float[4 * 32]), 4, 32);
        float[] scratch = new float[BlockMatmul.scratchLength(32)];
        PreparedVector[] two = prepared(new float[2 * 32], 2, 32);
        assertThatThrownBy(() -> matrix.matmulBlock(two, 3, new float[3 * 4], 0, 4, scratch))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3 tokens of 2");
        assertThatThrownBy(() -> matrix.matmulBlock(two, 2, new float[7], 0, 4, scratch))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 tokens");
        assertThatThrownBy(() -> matrix.matmulBlock(two, 1, new float[4], 0, 4, new float[32]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> matrix.matmulBlock(two, 1, new float[4], 0, 5, scratch))
                .isInstanceOf(IndexOutOfBoundsException.class);
        PreparedVector[] apart = {PreparedVector.of(new float[96], 0, 32), PreparedVector.of(new float[96], 64, 32)};
        assertThatThrownBy(() -> matrix.matmulBlock(apart, 2, new float[8], 0, 4, scratch))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token 1");
    }

    /**
     * The tiled formats' block product is their batched decode product, bit for bit, so that a
     * prompt's keys and values are the ones decoding it token by token would give: over rows that
     * cut the tiles.
     */
    @ParameterizedTest
    @EnumSource(value = GGMLType.class, names = {"Q4_0", "Q4_K", "Q6_K"})
    void tiledBlockProductIsTheBatchedProduct(GGMLType type) {
        Random random = new Random(11);
        int rows = 3 * TiledFormat.R + 5;
        int cols = 2 * 256;
        byte[] bytes = Quantizer.quantize(type, gaussian(random, rows * cols));
        Matrix matrix = Matrix.of(type, MemorySegment.ofArray(bytes), rows, cols);
        float[] x = gaussian(random, TOKENS * cols);
        PreparedVector[] xs = prepared(x, TOKENS, cols);
        float[] block = new float[TOKENS * rows];
        float[] batched = new float[TOKENS * rows];
        float[] scratch = new float[BlockMatmul.scratchLength(cols)];
        for (int[] range : new int[][] {{0, rows}, {3, rows - 2}, {TiledFormat.R, 2 * TiledFormat.R + 1}}) {
            matrix.matmulBlock(xs, TOKENS, block, range[0], range[1], scratch);
            matrix.matmul(xs, TOKENS, batched, rows, range[0], range[1]);
            assertThat(block).containsExactly(batched);
            for (int t = 0; t < TOKENS; t++) {
                float[] alone = new float[rows];
                matrix.matmul(xs[t], alone, 0, range[0], range[1]);
                assertThat(Arrays.copyOfRange(block, t * rows + range[0], t * rows + range[1]))
                        .containsExactly(Arrays.copyOfRange(alone, range[0], range[1]));
            }
        }
    }
}

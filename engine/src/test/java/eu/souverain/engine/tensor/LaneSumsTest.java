package eu.souverain.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Sixteen accumulators summed at once give each the bits of its own tree sum. */
class LaneSumsTest {

    private static final int L = Lanes.L;

    /** Values of very different sizes, so that another order of additions rounds differently. */
    private static float[] accumulators(Random random, int offset) {
        float[] a = new float[offset + 16 * L];
        for (int i = offset; i < a.length; i++) {
            a[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(7) - 3));
        }
        return a;
    }

    /** The order of {@link Lanes#sum}, written out in scalars. */
    private static float tree(float[] a, int o) {
        float[] lanes = Arrays.copyOfRange(a, o, o + L);
        for (int half = L / 2; half > 0; half /= 2) {
            for (int i = 0; i < half; i++) {
                lanes[i] += lanes[i + half];
            }
        }
        return lanes[0];
    }

    @Test
    void eachOfSixteenSumsIsItsTree() {
        Random random = new Random(16);
        int offset = 5;
        for (int trial = 0; trial < 200; trial++) {
            float[] a = accumulators(random, offset);
            float[] expected = new float[16];
            for (int i = 0; i < 16; i++) {
                expected[i] = tree(a, offset + i * L);
            }
            LaneSums.sum16(a, offset);
            for (int i = 0; i < 16; i++) {
                assertThat(a[offset + LaneSums.SLOT_OF_16[i]]).as("trial %d, accumulator %d", trial, i)
                        .isEqualTo(expected[i]);
            }
        }
    }

    @Test
    void everySumHasItsOwnSlot() {
        assertThat(LaneSums.SLOT_OF_16).doesNotHaveDuplicates();
    }
}

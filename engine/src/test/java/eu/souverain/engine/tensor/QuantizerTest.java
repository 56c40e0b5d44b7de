package eu.souverain.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Quantize, decode with the scalar reference, and bound the error of every element. */
class QuantizerTest {

    /**
     * Values like weights: Gaussian, with each 256-element stretch at its own magnitude (1e-3 to 10),
     * a few outliers, and some stretches all positive so sub-blocks without negative values occur.
     */
    private static float[] weights(Random random, int n) {
        float[] values = new float[n];
        for (int start = 0; start < n; start += 256) {
            double magnitude = Math.pow(10, -3 + 4 * random.nextDouble());
            boolean positive = random.nextInt(4) == 0;
            for (int i = start; i < Math.min(n, start + 256); i++) {
                double value = random.nextGaussian() * magnitude;
                if (random.nextInt(100) == 0) {
                    value *= 8;
                }
                values[i] = (float) (positive ? Math.abs(value) : value);
            }
        }
        return values;
    }

    private static float[] roundTrip(GGMLType type, float[] values) {
        byte[] bytes = Quantizer.quantize(type, values);
        assertThat(bytes).hasSize((int) type.byteSize(values.length));
        float[] decoded = new float[values.length];
        ScalarReference.dequantize(type, MemorySegment.ofArray(bytes), 0, decoded, 0, values.length);
        return decoded;
    }

    /**
     * Largest error allowed, as a fraction of the largest magnitude in the (super-)block:
     * <ul>
     * <li>Q8_0: half a step of max/127.
     * <li>Q4_0: one step of max/8, the value opposite the extreme being clipped from +8 to +7.
     * <li>Q4_K, Q5_K: half a step of range/15 (resp. /31) with range &le; 2 max, plus half a 6-bit
     *     step of the min (max/126) and of the scale times the largest quant (max/63).
     * <li>Q6_K: one step of max/32 (clipping, as Q4_0) plus half an 8-bit scale step times 32 (max/254).
     * </ul>
     * Each with 1% headroom for the f16 rounding of the super-block scales.
     */
    private static double maxRelativeError(GGMLType type) {
        return 1.01 * switch (type) {
            case Q8_0 -> 0.5 / 127;
            case Q4_0 -> 1.0 / 8;
            case Q4_K -> 1.0 / 15 + 1.0 / 126 + 1.0 / 63;
            case Q5_K -> 1.0 / 31 + 1.0 / 126 + 1.0 / 63;
            case Q6_K -> 1.0 / 32 + 1.0 / 254;
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    /**
     * Root-mean-square error allowed over a block: rounding to a grid of step s leaves errors spread
     * evenly over [-s/2, s/2], whose RMS is s / sqrt(12); 1.5 times that, with s the coarsest step
     * the type can have (max/127, max/8, 2 max/15, 2 max/31, max/32).
     */
    private static double rmsRelativeError(GGMLType type) {
        double step = switch (type) {
            case Q8_0 -> 1.0 / 127;
            case Q4_0 -> 1.0 / 8;
            case Q4_K -> 2.0 / 15;
            case Q5_K -> 2.0 / 31;
            case Q6_K -> 1.0 / 32;
            default -> throw new IllegalArgumentException(type.toString());
        };
        return 1.5 * step / Math.sqrt(12);
    }

    @ParameterizedTest
    @EnumSource(value = GGMLType.class, names = {"Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"})
    void quantizedRoundTripStaysWithinTheBlockErrorBound(GGMLType type) {
        float[] values = weights(new Random(type.ordinal()), 256 * 24);
        float[] decoded = roundTrip(type, values);
        int block = type.blockSize();
        double worstRatio = 0;
        for (int start = 0; start < values.length; start += block) {
            double max = 0;
            for (int i = start; i < start + block; i++) {
                max = Math.max(max, Math.abs(values[i]));
            }
            double squares = 0;
            for (int i = start; i < start + block; i++) {
                double error = Math.abs(decoded[i] - values[i]);
                assertThat(error).as("%s element %d of block max %g", type, i, max)
                        .isLessThanOrEqualTo(maxRelativeError(type) * max);
                squares += error * error;
                worstRatio = Math.max(worstRatio, error / max);
            }
            assertThat(Math.sqrt(squares / block)).as("%s rms error in block at %d", type, start)
                    .isLessThanOrEqualTo(rmsRelativeError(type) * max);
        }
        assertThat(worstRatio).as("the data exercises the bound").isGreaterThan(maxRelativeError(type) / 10);
    }

    @Test
    void f32IsExact() {
        float[] values = weights(new Random(1), 100);
        assertThat(roundTrip(GGMLType.F32, values)).containsExactly(values);
    }

    @Test
    void f16RoundsToNearest() {
        float[] values = weights(new Random(2), 1000);
        float[] decoded = roundTrip(GGMLType.F16, values);
        for (int i = 0; i < values.length; i++) {
            // Half an ulp of an 11-bit significand, or of the smallest subnormal (2^-24).
            assertThat((double) Math.abs(decoded[i] - values[i]))
                    .isLessThanOrEqualTo(0x1p-11 * Math.abs(values[i]) + 0x1p-25);
        }
    }

    @Test
    void bf16RoundsToNearestEven() {
        float[] values = weights(new Random(3), 1000);
        float[] decoded = roundTrip(GGMLType.BF16, values);
        for (int i = 0; i < values.length; i++) {
            // Half an ulp of an 8-bit significand.
            assertThat((double) Math.abs(decoded[i] - values[i])).isLessThanOrEqualTo(0x1p-8 * Math.abs(values[i]));
        }
        // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties go to the even significand, 1.
        // 1 + 3 * 2^-8 lies halfway between 1 + 2^-7 and 1 + 2^-6: the even one is 1 + 2^-6.
        float[] ties = roundTrip(GGMLType.BF16, new float[] {1 + 0x1p-8f, 1 + 3 * 0x1p-8f, Float.NaN, -0f});
        assertThat(ties[0]).isEqualTo(1f);
        assertThat(ties[1]).isEqualTo(1 + 0x1p-6f);
        assertThat(ties[2]).isNaN();
        assertThat(Float.floatToRawIntBits(ties[3])).isEqualTo(Float.floatToRawIntBits(-0f));
    }

    @ParameterizedTest
    @EnumSource(value = GGMLType.class, names = {"Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"})
    void zerosAndConstantsSurvive(GGMLType type) {
        assertThat(roundTrip(type, new float[256])).containsOnly(0f);
        float[] constant = new float[256];
        java.util.Arrays.fill(constant, 0.75f);
        for (float value : roundTrip(type, constant)) {
            assertThat((double) value).isCloseTo(0.75, org.assertj.core.data.Offset.offset(0.75 * maxRelativeError(type)));
        }
    }

    @Test
    void refusesBadInput() {
        assertThatThrownBy(() -> Quantizer.quantize(GGMLType.Q4_K, new float[255]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiple");
        float[] withNaN = new float[32];
        withNaN[7] = Float.NaN;
        assertThatThrownBy(() -> Quantizer.quantize(GGMLType.Q8_0, withNaN))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("index 7");
        assertThatThrownBy(() -> Quantizer.quantize(GGMLType.Q2_K, new float[256]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Q2_K");
    }
}

package eu.souverain.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * One block of each layout written byte by byte from ggml's documented struct layout, decoded
 * and compared exactly with values worked out by hand (or, for whole K-quant blocks, by a loop
 * in the shape of ggml's reference dequantizer, which the spot values cross-check).
 */
class ScalarReferenceTest {

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    private static float[] decode(GGMLType type, byte[] block, int count) {
        // Leading padding proves byteOffset is honoured.
        byte[] padded = new byte[block.length + 3];
        System.arraycopy(block, 0, padded, 3, block.length);
        float[] out = new float[count + 1];
        out[0] = 42f;
        ScalarReference.dequantize(type, MemorySegment.ofArray(padded), 3, out, 1, count);
        assertThat(out[0]).isEqualTo(42f);
        float[] values = new float[count];
        System.arraycopy(out, 1, values, 0, count);
        return values;
    }

    @Test
    void f32IsLittleEndianIeee() {
        byte[] data = bytes(0x00, 0x00, 0xC0, 0x3F, 0x00, 0x00, 0x00, 0xC0, 0xCD, 0xCC, 0xCC, 0x3D);
        assertThat(decode(GGMLType.F32, data, 3)).containsExactly(1.5f, -2.0f, 0.1f);
    }

    @Test
    void f16IsLittleEndianHalfPrecision() {
        byte[] data = bytes(
                0x00, 0x3C,   // 1.0
                0x00, 0xC0,   // -2.0
                0x55, 0x35,   // 2^-2 * (1 + 341/1024)
                0x01, 0x00,   // smallest subnormal, 2^-24
                0xFF, 0x7B,   // largest finite, 65504
                0x00, 0x7C);  // +infinity
        assertThat(decode(GGMLType.F16, data, 6))
                .containsExactly(1.0f, -2.0f, 0.333251953125f, 0x1p-24f, 65504f, Float.POSITIVE_INFINITY);
    }

    @Test
    void bf16IsTheUpperHalfOfAFloat() {
        byte[] data = bytes(
                0xC0, 0x3F,   // 0x3FC00000 = 1.5
                0x40, 0xC0,   // 0xC0400000 = -3.0
                0x49, 0x40,   // 0x40490000 = 3.140625
                0x80, 0x7F);  // +infinity
        assertThat(decode(GGMLType.BF16, data, 4)).containsExactly(1.5f, -3.0f, 3.140625f, Float.POSITIVE_INFINITY);
    }

    @Test
    void q8_0IsF16ScaleThenSignedBytes() {
        byte[] data = bytes(
                0x00, 0x38,   // d = 0.5
                0x80, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE, 0xFF,
                0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F);
        assertThat(decode(GGMLType.Q8_0, data, 32)).containsExactly(
                -64f, -7.5f, -7f, -6.5f, -6f, -5.5f, -5f, -4.5f, -4f, -3.5f, -3f, -2.5f, -2f, -1.5f, -1f, -0.5f,
                0f, 0.5f, 1f, 1.5f, 2f, 2.5f, 3f, 3.5f, 4f, 4.5f, 5f, 5.5f, 6f, 6.5f, 7f, 7.5f);
    }

    @Test
    void q4_0HasLowNibblesFirstThenHighNibbles() {
        // qs[i] = (15 - i) << 4 | i: element i has quant i, element 16 + i has quant 15 - i.
        byte[] data = bytes(
                0x00, 0x40,   // d = 2.0
                0xF0, 0xE1, 0xD2, 0xC3, 0xB4, 0xA5, 0x96, 0x87, 0x78, 0x69, 0x5A, 0x4B, 0x3C, 0x2D, 0x1E, 0x0F);
        assertThat(decode(GGMLType.Q4_0, data, 32)).containsExactly(
                -16f, -14f, -12f, -10f, -8f, -6f, -4f, -2f, 0f, 2f, 4f, 6f, 8f, 10f, 12f, 14f,
                14f, 12f, 10f, 8f, 6f, 4f, 2f, 0f, -2f, -4f, -6f, -8f, -10f, -12f, -14f, -16f);
    }

    /**
     * Scales (1, 2, 3, 4, 21, 38, 55, 63) and mins (5, 6, 7, 8, 50, 33, 16, 1) packed by hand:
     * bytes 0-3 = scale[0..3] | (scale[4..7] >> 4) << 6, bytes 4-7 = min[0..3] | (min[4..7] >> 4) << 6,
     * bytes 8-11 = (scale[4..7] & 15) | (min[4..7] & 15) << 4.
     */
    private static final int[] PACKED_SCALES = {0x41, 0x82, 0xC3, 0xC4, 0xC5, 0x86, 0x47, 0x08, 0x25, 0x16, 0x07, 0x1F};
    private static final int[] SCALES = {1, 2, 3, 4, 21, 38, 55, 63};
    private static final int[] MINS = {5, 6, 7, 8, 50, 33, 16, 1};

    /** qs[32p + l]: low nibble (l + 3p) & 15, high nibble (5l + p) & 15. */
    private static int kQuantNibbles(int p, int l) {
        return ((l + 3 * p) & 15) | ((5 * l + p) & 15) << 4;
    }

    private static int qhByte(int l) {
        return (l * 37 + 11) & 0xFF;
    }

    @Test
    void q4K() {
        byte[] block = new byte[144];
        block[0] = 0x00;
        block[1] = 0x3C;   // d = 1.0
        block[2] = 0x00;
        block[3] = 0x38;   // dmin = 0.5
        for (int i = 0; i < 12; i++) {
            block[4 + i] = (byte) PACKED_SCALES[i];
        }
        for (int p = 0; p < 4; p++) {
            for (int l = 0; l < 32; l++) {
                block[16 + 32 * p + l] = (byte) kQuantNibbles(p, l);
            }
        }
        float[] values = decode(GGMLType.Q4_K, block, 256);

        // ggml's loop: 64 elements per 32 qs bytes, low nibbles under sub-block 2p, high under 2p+1.
        float[] expected = new float[256];
        for (int p = 0; p < 4; p++) {
            for (int l = 0; l < 32; l++) {
                int qs = kQuantNibbles(p, l);
                expected[64 * p + l] = 1.0f * SCALES[2 * p] * (qs & 15) - 0.5f * MINS[2 * p];
                expected[64 * p + 32 + l] = 1.0f * SCALES[2 * p + 1] * (qs >>> 4) - 0.5f * MINS[2 * p + 1];
            }
        }
        assertThat(values).containsExactly(expected);
        // By hand: element 162 is sub-block 5, l = 2, pair 2: high nibble (10 + 2) & 15 = 12 -> 38 * 12 - 33 / 2.
        assertThat(values[0]).isEqualTo(-2.5f);
        assertThat(values[33]).isEqualTo(7f);
        assertThat(values[70]).isEqualTo(23.5f);
        assertThat(values[133]).isEqualTo(206f);
        assertThat(values[162]).isEqualTo(439.5f);
        assertThat(values[255]).isEqualTo(881.5f);
    }

    @Test
    void q5K() {
        byte[] block = new byte[176];
        block[0] = 0x00;
        block[1] = 0x3C;   // d = 1.0
        block[2] = 0x00;
        block[3] = 0x38;   // dmin = 0.5
        for (int i = 0; i < 12; i++) {
            block[4 + i] = (byte) PACKED_SCALES[i];
        }
        for (int l = 0; l < 32; l++) {
            block[16 + l] = (byte) qhByte(l);
        }
        for (int p = 0; p < 4; p++) {
            for (int l = 0; l < 32; l++) {
                block[48 + 32 * p + l] = (byte) kQuantNibbles(p, l);
            }
        }
        float[] values = decode(GGMLType.Q5_K, block, 256);

        float[] expected = new float[256];
        for (int p = 0; p < 4; p++) {
            for (int l = 0; l < 32; l++) {
                int qs = kQuantNibbles(p, l);
                int highLow = (qhByte(l) >>> (2 * p)) & 1;
                int highHigh = (qhByte(l) >>> (2 * p + 1)) & 1;
                expected[64 * p + l] = 1.0f * SCALES[2 * p] * ((qs & 15) + 16 * highLow) - 0.5f * MINS[2 * p];
                expected[64 * p + 32 + l] = 1.0f * SCALES[2 * p + 1] * ((qs >>> 4) + 16 * highHigh) - 0.5f * MINS[2 * p + 1];
            }
        }
        assertThat(values).containsExactly(expected);
        // By hand: qh[0] = 11 has bit 0 set, so element 0 is 1 * (0 + 16) - 2.5; qh[31] = 134 has
        // bit 7 set, so element 255 is 63 * (14 + 16) - 0.5.
        assertThat(values[0]).isEqualTo(13.5f);
        assertThat(values[33]).isEqualTo(7f);
        assertThat(values[255]).isEqualTo(1889.5f);
    }

    @Test
    void q6K() {
        byte[] block = new byte[210];
        for (int i = 0; i < 128; i++) {
            block[i] = (byte) (i * 7 + 3);               // ql
        }
        for (int i = 0; i < 64; i++) {
            block[128 + i] = (byte) (i * 13 + 5);        // qh
        }
        for (int k = 0; k < 16; k++) {
            block[192 + k] = (byte) (k - 8);             // scales, signed
        }
        block[208] = 0x00;
        block[209] = 0x34;                               // d = 0.25
        float[] values = decode(GGMLType.Q6_K, block, 256);

        // ggml's loop: per 128-element half, 32 positions l each giving 4 elements 32 apart.
        float[] expected = new float[256];
        for (int n = 0; n < 2; n++) {
            for (int l = 0; l < 32; l++) {
                int a = block[64 * n + l] & 0xFF;
                int b = block[64 * n + 32 + l] & 0xFF;
                int h = block[128 + 32 * n + l] & 0xFF;
                int s = 8 * n + l / 16;
                expected[128 * n + l] = 0.25f * (s - 8) * (((a & 15) | (h & 3) << 4) - 32);
                expected[128 * n + 32 + l] = 0.25f * (s + 2 - 8) * (((b & 15) | ((h >>> 2) & 3) << 4) - 32);
                expected[128 * n + 64 + l] = 0.25f * (s + 4 - 8) * (((a >>> 4) | ((h >>> 4) & 3) << 4) - 32);
                expected[128 * n + 96 + l] = 0.25f * (s + 6 - 8) * (((b >>> 4) | (h >>> 6) << 4) - 32);
            }
        }
        assertThat(values).containsExactly(expected);
        // By hand: element 0: ql[0] = 3, qh[0] = 5 -> q = 3 | 1 << 4 = 19, scale -8: 0.25 * -8 * (19 - 32).
        assertThat(values[0]).isEqualTo(26f);
        assertThat(values[17]).isEqualTo(-17.5f);
        assertThat(values[40]).isEqualTo(-40.5f);
        assertThat(values[77]).isEqualTo(-5f);
        assertThat(values[150]).isEqualTo(7.25f);
        assertThat(values[255]).isEqualTo(-43.75f);
    }

    @Test
    void refusesPartialBlocksAndTypesWithoutDecoder() {
        MemorySegment data = MemorySegment.ofArray(new byte[64]);
        assertThatThrownBy(() -> ScalarReference.dequantize(GGMLType.Q4_0, data, 0, new float[40], 0, 40))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiple");
        assertThatThrownBy(() -> ScalarReference.dequantize(GGMLType.Q4_1, data, 0, new float[32], 0, 32))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("Q4_1");
    }
}

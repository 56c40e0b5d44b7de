package eu.souverain.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Plain scalar decoding of each block layout, one element at a time: the definition that the
 * vector kernels and the quantizers are tested against.
 *
 * <p>The layouts are ggml's, little-endian. The arithmetic follows ggml's reference
 * dequantizers operation for operation (for example {@code (d * scale) * q - dmin * min} for
 * the K-quants), so that a tensor decodes to the same floats here as in llama.cpp.
 */
public final class ScalarReference {

    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private ScalarReference() {
    }

    /**
     * Decodes {@code count} elements of {@code type} stored at {@code byteOffset} in {@code data}
     * into {@code out[outOffset..outOffset+count)}; {@code count} must be a whole number of blocks.
     */
    public static void dequantize(GGMLType type, MemorySegment data, long byteOffset, float[] out, int outOffset, int count) {
        if (count % type.blockSize() != 0) {
            throw new IllegalArgumentException(
                    type + " stores blocks of " + type.blockSize() + " elements; " + count + " is not a multiple");
        }
        WeightFormat format = WeightFormat.of(type);
        if (format == null) {
            throw new UnsupportedOperationException("no decoder for tensor type " + type);
        }
        format.dequantize(data, byteOffset, out, outOffset, count);
    }

    static float f16(MemorySegment data, long offset) {
        return Float.float16ToFloat(data.get(SHORT_LE, offset));
    }

    static int u8(MemorySegment data, long offset) {
        return Byte.toUnsignedInt(data.get(ValueLayout.JAVA_BYTE, offset));
    }

    /**
     * block_q4_K: f16 d, f16 dmin, u8 scales[12], u8 qs[128]. Sub-block j (32 elements) has
     * x = d*scale_j * q - dmin*min_j, its 4-bit q in qs[32*(j/2) + l]: low nibbles for even j,
     * high nibbles for odd j.
     */
    static void q4K(MemorySegment data, long block, float[] out, int o) {
        float d = f16(data, block);
        float dmin = f16(data, block + 2);
        long qs = block + 16;
        for (int j = 0; j < 8; j++) {
            int sm = KQuantWithMin.scaleAndMin(data, block + 4, j);
            float scale = d * (sm & 0xFF);
            float min = dmin * (sm >>> 8);
            int shift = (j & 1) * 4;
            for (int l = 0; l < 32; l++) {
                int q = (u8(data, qs + 32 * (j / 2) + l) >>> shift) & 0xF;
                out[o + 32 * j + l] = scale * q - min;
            }
        }
    }

    /**
     * block_q5_K: f16 d, f16 dmin, u8 scales[12], u8 qh[32], u8 qs[128]. As Q4_K, with a fifth
     * bit (worth 16) for element l of sub-block j in bit j of qh[l].
     */
    static void q5K(MemorySegment data, long block, float[] out, int o) {
        float d = f16(data, block);
        float dmin = f16(data, block + 2);
        long qh = block + 16;
        long qs = block + 48;
        for (int j = 0; j < 8; j++) {
            int sm = KQuantWithMin.scaleAndMin(data, block + 4, j);
            float scale = d * (sm & 0xFF);
            float min = dmin * (sm >>> 8);
            int shift = (j & 1) * 4;
            for (int l = 0; l < 32; l++) {
                int q = (u8(data, qs + 32 * (j / 2) + l) >>> shift) & 0xF;
                q |= ((u8(data, qh + l) >>> j) & 1) << 4;
                out[o + 32 * j + l] = scale * q - min;
            }
        }
    }

    /**
     * block_q6_K: u8 ql[128], u8 qh[64], i8 scales[16], f16 d. Each half n (128 elements) has
     * four groups g of 32: element l of group g takes its low 4 bits from ql[64n + 32*(g%2) + l]
     * (low nibble for g &lt; 2, high for g &ge; 2) and its high 2 bits from bits 2g..2g+1 of
     * qh[32n + l]; x = d * scales[e/16] * (q - 32) for element e.
     */
    static void q6K(MemorySegment data, long block, float[] out, int o) {
        long ql = block;
        long qh = block + 128;
        long scales = block + 192;
        float d = f16(data, block + 208);
        for (int e = 0; e < 256; e++) {
            int n = e / 128;
            int g = (e % 128) / 32;
            int l = e % 32;
            int low = (u8(data, ql + 64 * n + 32 * (g % 2) + l) >>> (4 * (g / 2))) & 0xF;
            int high = (u8(data, qh + 32 * n + l) >>> (2 * g)) & 3;
            float scale = d * data.get(ValueLayout.JAVA_BYTE, scales + e / 16);
            out[o + e] = scale * ((low | high << 4) - 32);
        }
    }
}

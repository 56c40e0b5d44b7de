package eu.souverain.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Plain scalar decoding of each block layout, one element at a time (each format's
 * {@link WeightFormat#dequantize}): the definition that the vector kernels and the quantizers are
 * tested against.
 *
 * <p>The layouts are ggml's, little-endian. The arithmetic follows ggml's reference
 * dequantizers operation for operation (for example {@code (d * scale) * q - dmin * min} for
 * the K-quants), so that a tensor decodes to the same floats here as in llama.cpp.
 */
public final class ScalarReference {

    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

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
}

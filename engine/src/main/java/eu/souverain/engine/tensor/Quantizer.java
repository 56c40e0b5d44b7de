package eu.souverain.engine.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Encodes floats into the tensor layouts the engine computes with (each format's
 * {@link WeightFormat#quantize}), for the GGUF writer that builds synthetic models.
 *
 * <p>Block scales are rounded to their stored precision (f16, 6-bit or 8-bit) before the quants
 * are chosen, so every quant is the nearest one under the scale that will actually be decoded.
 * The K-quants also try the neighbours of each rounded sub-block scale (and min) and keep the
 * pair with the least squared error: a cheap search that mostly repairs the clipping a rounded-down
 * scale would cause at the ends of a sub-block's range.
 */
public final class Quantizer {

    /** Offsets from a rounded scale tried by the search, the rounded one first so that it wins ties. */
    static final int[] GUESS_FIRST = {0, -1, 1};

    private Quantizer() {
    }

    /** The bytes of {@code values} stored as {@code type}; the length must be a whole number of blocks. */
    public static byte[] quantize(GGMLType type, float[] values) {
        WeightFormat format = WeightFormat.of(type);
        if (format == null) {
            throw new IllegalArgumentException("cannot quantize to tensor type " + type);
        }
        long size = type.byteSize(values.length);
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(values.length + " values of " + type + " do not fit in one array");
        }
        if (type.blockSize() > 1) {
            for (int i = 0; i < values.length; i++) {
                if (!Float.isFinite(values[i])) {
                    throw new IllegalArgumentException("cannot quantize non-finite value " + values[i] + " at index " + i);
                }
            }
        }
        ByteBuffer out = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        format.quantize(values, out);
        return out.array();
    }

    static float f16Round(float value) {
        return Float.float16ToFloat(Float.floatToFloat16(value));
    }

    static int clamp(int value, int low, int high) {
        return Math.max(low, Math.min(high, value));
    }
}

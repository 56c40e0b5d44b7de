package eu.souverain.engine.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Encodes floats into the tensor layouts the engine computes with, for the GGUF writer that
 * builds synthetic models.
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

    /**
     * Q6_K: each sub-block of 16 gets x = scale * q with q in [-32, 31] and scale = (its value of
     * largest magnitude) / -32, stored as a signed 8-bit multiple of the super-block's f16 d.
     */
    static void q6K(float[] v, int o, ByteBuffer out) {
        float[] scales = new float[16];
        float maxScale = 0;
        for (int k = 0; k < 16; k++) {
            float extreme = 0;
            for (int l = 0; l < 16; l++) {
                if (Math.abs(v[o + 16 * k + l]) > Math.abs(extreme)) {
                    extreme = v[o + 16 * k + l];
                }
            }
            scales[k] = extreme == 0 ? 0 : extreme / -32;
            maxScale = Math.max(maxScale, Math.abs(scales[k]));
        }
        float d = f16Round(maxScale / 127);

        byte[] scaleQuants = new byte[16];
        int[] q = new int[256];
        int[] candidate = new int[16];
        for (int k = 0; k < 16; k++) {
            int guess = d == 0 ? 0 : Math.round(scales[k] / d);
            double bestError = Double.POSITIVE_INFINITY;
            for (int step : GUESS_FIRST) {
                int sc = guess + step;
                if (sc < -128 || sc > 127) {
                    continue;
                }
                float scale = d * sc;
                float inverse = scale == 0 ? 0 : 1 / scale;
                double error = 0;
                for (int l = 0; l < 16; l++) {
                    float x = v[o + 16 * k + l];
                    candidate[l] = clamp(Math.round(x * inverse), -32, 31);
                    double diff = x - scale * candidate[l];
                    error += diff * diff;
                }
                if (error < bestError) {
                    bestError = error;
                    scaleQuants[k] = (byte) sc;
                    System.arraycopy(candidate, 0, q, 16 * k, 16);
                }
            }
        }

        byte[] ql = new byte[128];
        byte[] qh = new byte[64];
        for (int e = 0; e < 256; e++) {
            int n = e / 128;
            int g = (e % 128) / 32;
            int l = e % 32;
            int u = q[e] + 32;
            ql[64 * n + 32 * (g % 2) + l] |= (byte) ((u & 0xF) << (4 * (g / 2)));
            qh[32 * n + l] |= (byte) ((u >>> 4) << (2 * g));
        }
        out.put(ql);
        out.put(qh);
        out.put(scaleQuants);
        out.putShort(Float.floatToFloat16(d));
    }
}

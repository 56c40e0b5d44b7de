package eu.souverain.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * What Q4_K and Q5_K share: super-blocks of 256 elements in eight sub-blocks of 32, each decoded
 * as x = d*scale_j * q - dmin*min_j, with the sub-blocks' six-bit scales and mins packed into 12
 * bytes after the two f16 factors. Their readers (the reference decode, the kernels) and their
 * quantizer differ only in the width of the quants.
 */
final class KQuantWithMin {

    private KQuantWithMin() {
    }

    /**
     * The 6-bit scale (in the low half) and 6-bit min (in the high half) of sub-block {@code j}
     * (0..7) from the 12 packed bytes of a Q4_K or Q5_K block: sub-blocks 0..3 keep theirs in the
     * low 6 bits of bytes 0..3 (scales) and 4..7 (mins); sub-blocks 4..7 keep their low 4 bits in
     * the nibbles of bytes 8..11 and their high 2 bits in the top bits of bytes 0..7.
     */
    static int scaleAndMin(MemorySegment data, long scales, int j) {
        int scale;
        int min;
        if (j < 4) {
            scale = ScalarReference.u8(data, scales + j) & 63;
            min = ScalarReference.u8(data, scales + j + 4) & 63;
        } else {
            int low = ScalarReference.u8(data, scales + j + 4);
            scale = (low & 0xF) | ((ScalarReference.u8(data, scales + j - 4) >>> 6) << 4);
            min = (low >>> 4) | ((ScalarReference.u8(data, scales + j) >>> 6) << 4);
        }
        return scale | min << 8;
    }

    /**
     * The six-bit scales (mins) of sub-blocks 0..3 in the bytes of {@code lowScales}, those of
     * sub-blocks 4..7 in the bytes of {@code highScales}, decoded from the 12 packed bytes with a
     * few int operations instead of three byte reads per sub-block: see
     * {@link #scaleAndMin} for the layout.
     */
    static int highScales(int bytes0to3, int bytes8to11) {
        return (bytes8to11 & 0x0F0F0F0F) | ((bytes0to3 >>> 2) & 0x30303030);
    }

    static int highMins(int bytes4to7, int bytes8to11) {
        return ((bytes8to11 >>> 4) & 0x0F0F0F0F) | ((bytes4to7 >>> 2) & 0x30303030);
    }

    /**
     * Q4_K ({@code maxQuant} 15) and Q5_K (31): each sub-block of 32 gets x = scale * q - min with
     * q in [0, maxQuant] and min &ge; 0 (the sub-block's range always includes 0); scales and
     * mins are stored as 6-bit multiples of the super-block's f16 d and dmin.
     */
    static void quantize(float[] v, int o, int maxQuant, ByteBuffer out) {
        float[] scales = new float[8];
        float[] mins = new float[8];
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 8; j++) {
            float low = 0;
            float high = -Float.MAX_VALUE;
            for (int l = 0; l < 32; l++) {
                low = Math.min(low, v[o + 32 * j + l]);
                high = Math.max(high, v[o + 32 * j + l]);
            }
            scales[j] = (high - low) / maxQuant;
            mins[j] = -low;
            maxScale = Math.max(maxScale, scales[j]);
            maxMin = Math.max(maxMin, mins[j]);
        }
        float d = Quantizer.f16Round(maxScale / 63);
        float dmin = Quantizer.f16Round(maxMin / 63);

        int[] scaleQuants = new int[8];
        int[] minQuants = new int[8];
        int[] q = new int[256];
        int[] candidate = new int[32];
        for (int j = 0; j < 8; j++) {
            int scaleGuess = d == 0 ? 0 : Math.round(scales[j] / d);
            int minGuess = dmin == 0 ? 0 : Math.round(mins[j] / dmin);
            double bestError = Double.POSITIVE_INFINITY;
            for (int scaleStep : Quantizer.GUESS_FIRST) {
                for (int minStep : Quantizer.GUESS_FIRST) {
                    int sc = scaleGuess + scaleStep;
                    int mn = minGuess + minStep;
                    if (sc < 0 || sc > 63 || mn < 0 || mn > 63) {
                        continue;
                    }
                    float scale = d * sc;
                    float min = dmin * mn;
                    float inverse = scale == 0 ? 0 : 1 / scale;
                    double error = 0;
                    for (int l = 0; l < 32; l++) {
                        float x = v[o + 32 * j + l];
                        candidate[l] = Quantizer.clamp(Math.round((x + min) * inverse), 0, maxQuant);
                        double diff = x - (scale * candidate[l] - min);
                        error += diff * diff;
                    }
                    if (error < bestError) {
                        bestError = error;
                        scaleQuants[j] = sc;
                        minQuants[j] = mn;
                        System.arraycopy(candidate, 0, q, 32 * j, 32);
                    }
                }
            }
        }

        out.putShort(Float.floatToFloat16(d));
        out.putShort(Float.floatToFloat16(dmin));
        out.put(packScalesAndMins(scaleQuants, minQuants));
        if (maxQuant == 31) {
            byte[] qh = new byte[32];
            for (int e = 0; e < 256; e++) {
                qh[e % 32] |= (byte) (((q[e] >>> 4) & 1) << (e / 32));
            }
            out.put(qh);
        }
        byte[] qs = new byte[128];
        for (int e = 0; e < 256; e++) {
            int j = e / 32;
            qs[32 * (j / 2) + e % 32] |= (byte) ((q[e] & 0xF) << (4 * (j % 2)));
        }
        out.put(qs);
    }

    /** The 12-byte packing of eight 6-bit scales and mins that {@link #scaleAndMin} reads. */
    private static byte[] packScalesAndMins(int[] scales, int[] mins) {
        byte[] packed = new byte[12];
        for (int j = 0; j < 4; j++) {
            packed[j] = (byte) scales[j];
            packed[j + 4] = (byte) mins[j];
        }
        for (int j = 4; j < 8; j++) {
            packed[j + 4] = (byte) ((scales[j] & 0xF) | (mins[j] & 0xF) << 4);
            packed[j - 4] |= (byte) ((scales[j] >>> 4) << 6);
            packed[j] |= (byte) ((mins[j] >>> 4) << 6);
        }
        return packed;
    }
}

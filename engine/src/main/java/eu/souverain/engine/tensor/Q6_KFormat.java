package eu.souverain.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/** Q6_K: super-blocks of 256 six-bit quants, scaled per sub-block of 16. */
final class Q6_KFormat extends BlockFormat {

    static final Q6_KFormat INSTANCE = new Q6_KFormat();

    private Q6_KFormat() {
        super(GGMLType.Q6_K);
    }

    @Override
    void matmul(MemorySegment data, long rowBytes, int cols, PreparedVector x, float[] out, int outOffset,
                int rowFrom, int rowTo) {
        float[] values = x.values();
        int xOffset = x.offset();
        for (int r = rowFrom; r < rowTo; r++) {
            out[outOffset + r] = dot(data, r * rowBytes, values, xOffset, cols);
        }
    }

    @Override
    void matmul(MemorySegment data, long rowBytes, int cols, PreparedVector[] xs, int count, float[] out,
                int outStride, int rowFrom, int rowTo) {
        float[] lanes = LANES.get();
        for (int r = rowFrom; r < rowTo; r++) {
            long offset = r * rowBytes;
            int v = 0;
            while (v < count) {
                if (count - v > 1) {
                    dotFour(data, offset, cols, xs, v, count, out, outStride, r, lanes);
                    v += 4;
                } else {
                    out[v * outStride + r] = dot(data, offset, xs[v].values(), xs[v].offset(), cols);
                    v++;
                }
            }
        }
    }

    @Override
    void decode(MemorySegment w, long offset, int n, float[] out, int o) {
        for (int i = 0; i < n; i += 256) {
            long block = offset + (long) (i / 256) * 210;
            float d = ScalarReference.f16(w, block + 208);
            for (int k = 0; k < 16; k++) {
                // Run k of 16 elements: see dot for where its bits lie.
                int h = k / 8;
                int g = (k / 2) % 4;
                int c = 16 * (k % 2);
                IntVector low = IntVector.fromMemorySegment(I128, w, block + 64 * h + 32 * (g % 2) + c, LE)
                        .lanewise(VectorOperators.LSHR, 4 * (g / 2)).and(0x0F0F0F0F);
                IntVector high = IntVector.fromMemorySegment(I128, w, block + 128 + 32 * h + c, LE)
                        .lanewise(VectorOperators.LSHR, 2 * g).and(0x03030303).lanewise(VectorOperators.LSHL, 4);
                ByteVector q = low.or(high).reinterpretAsBytes().sub((byte) 32);
                float scale = d * w.get(ValueLayout.JAVA_BYTE, block + 192 + k);
                for (int p = 0; p < PARTS; p++) {
                    ((FloatVector) q.convertShape(VectorOperators.B2F, F, p)).mul(scale)
                            .intoArray(out, o + i + 16 * k + p * L);
                }
            }
        }
    }

    /*
     * Q6_K has no minimum but sixteen signed scales, one per 16 elements: sum_k d*scale_k * (q . x)_k.
     * Groups g and g + 2 of a half take the low and high nibbles of the same ql bytes, so each
     * 16-byte run of ql (and of qh) is loaded once for both, in a loop over the nibble small
     * enough for C2 to parse: with both groups written out, it ran out of its inlining node
     * budget before the final sum and boxed that vector on every call. A flat loop over the
     * runs of all super-blocks, re-reading d on each, was a sixth slower.
     */

    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < n; i += 256) {
            long block = offset + (long) (i / 256) * 210;
            float d = ScalarReference.f16(w, block + 208);
            long scalesLow = w.get(LONG_LE, block + 192);
            long scalesHigh = w.get(LONG_LE, block + 200);
            // Iteration t: half h = t / 4, group pair p = (t / 2) % 2, run l = c..c+15. Group
            // g's element 32g + l of the half has its low 4 bits in nibble g/2 of
            // ql[64h + 32*(g%2) + l] and its high 2 bits in bits 2g..2g+1 of qh[32h + l], moved
            // into bits 4..5 of the byte; its scale is 8h + 2g + c/16.
            for (int t = 0; t < 8; t++) {
                int h = t / 4;
                int p = (t / 2) % 2;
                int c = 16 * (t % 2);
                IntVector ql = IntVector.fromMemorySegment(I128, w, block + 64 * h + 32 * p + c, LE);
                IntVector qh = IntVector.fromMemorySegment(I128, w, block + 128 + 32 * h + c, LE)
                        .lanewise(VectorOperators.LSHR, 2 * p);
                long scales = (h == 0 ? scalesLow : scalesHigh) >>> 8 * (2 * p + c / 16);
                // Nibble s: group p + 2s.
                for (int s = 0; s < 2; s++) {
                    ByteVector q = ql.lanewise(VectorOperators.LSHR, 4 * s).and(0x0F0F0F0F)
                            .or(qh.lanewise(VectorOperators.LSHL, 4 - 4 * s).and(0x30303030))
                            .reinterpretAsBytes().sub((byte) 32);
                    FloatVector scale = FloatVector.broadcast(F, d * (byte) (scales >>> 32 * s));
                    for (int part = 0; part < PARTS; part++) {
                        FloatVector qf = ((FloatVector) q.convertShape(VectorOperators.B2F, F, part)).mul(scale);
                        acc = qf.fma(FloatVector.fromArray(F, x, xOffset + i + 128 * h + 64 * s + 32 * p + c + part * L), acc);
                    }
                }
            }
        }
        return Lanes.sum(acc);
    }

    static void dotFour(MemorySegment w, long offset, int n, PreparedVector[] xs, int v, int count,
                        float[] out, int outStride, int row, float[] lanes) {
        PreparedVector p0 = xs[pick(v, 0, count)];
        PreparedVector p1 = xs[pick(v, 1, count)];
        PreparedVector p2 = xs[pick(v, 2, count)];
        PreparedVector p3 = xs[pick(v, 3, count)];
        float[] x0 = p0.values();
        float[] x1 = p1.values();
        float[] x2 = p2.values();
        float[] x3 = p3.values();
        int o0 = p0.offset();
        int o1 = p1.offset();
        int o2 = p2.offset();
        int o3 = p3.offset();
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        FloatVector acc2 = acc0;
        FloatVector acc3 = acc0;
        for (int i = 0; i < n; i += 256) {
            long block = offset + (long) (i / 256) * 210;
            float d = ScalarReference.f16(w, block + 208);
            long scalesLow = w.get(LONG_LE, block + 192);
            long scalesHigh = w.get(LONG_LE, block + 200);
            // The iterations of dot, in its order.
            for (int t = 0; t < 8; t++) {
                int h = t / 4;
                int p = (t / 2) % 2;
                int c = 16 * (t % 2);
                IntVector ql = IntVector.fromMemorySegment(I128, w, block + 64 * h + 32 * p + c, LE);
                IntVector qh = IntVector.fromMemorySegment(I128, w, block + 128 + 32 * h + c, LE)
                        .lanewise(VectorOperators.LSHR, 2 * p);
                long scales = (h == 0 ? scalesLow : scalesHigh) >>> 8 * (2 * p + c / 16);
                for (int s = 0; s < 2; s++) {
                    ByteVector q = ql.lanewise(VectorOperators.LSHR, 4 * s).and(0x0F0F0F0F)
                            .or(qh.lanewise(VectorOperators.LSHL, 4 - 4 * s).and(0x30303030))
                            .reinterpretAsBytes().sub((byte) 32);
                    FloatVector scale = FloatVector.broadcast(F, d * (byte) (scales >>> 32 * s));
                    for (int part = 0; part < PARTS; part++) {
                        FloatVector qf = ((FloatVector) q.convertShape(VectorOperators.B2F, F, part)).mul(scale);
                        int e = i + 128 * h + 64 * s + 32 * p + c + part * L;
                        acc0 = qf.fma(FloatVector.fromArray(F, x0, o0 + e), acc0);
                        acc1 = qf.fma(FloatVector.fromArray(F, x1, o1 + e), acc1);
                        acc2 = qf.fma(FloatVector.fromArray(F, x2, o2 + e), acc2);
                        acc3 = qf.fma(FloatVector.fromArray(F, x3, o3 + e), acc3);
                    }
                }
            }
        }
        acc0.intoArray(lanes, 0);
        acc1.intoArray(lanes, L);
        acc2.intoArray(lanes, 2 * L);
        acc3.intoArray(lanes, 3 * L);
        write(lanes, v, count, out, outStride, row);
    }

    /**
     * block_q6_K: u8 ql[128], u8 qh[64], i8 scales[16], f16 d. Each half n (128 elements) has
     * four groups g of 32: element l of group g takes its low 4 bits from ql[64n + 32*(g%2) + l]
     * (low nibble for g &lt; 2, high for g &ge; 2) and its high 2 bits from bits 2g..2g+1 of
     * qh[32n + l]; x = d * scales[e/16] * (q - 32) for element e.
     */
    @Override
    void dequantizeBlock(MemorySegment data, long block, float[] out, int o) {
        long ql = block;
        long qh = block + 128;
        long scales = block + 192;
        float d = ScalarReference.f16(data, block + 208);
        for (int e = 0; e < 256; e++) {
            int n = e / 128;
            int g = (e % 128) / 32;
            int l = e % 32;
            int low = (ScalarReference.u8(data, ql + 64 * n + 32 * (g % 2) + l) >>> (4 * (g / 2))) & 0xF;
            int high = (ScalarReference.u8(data, qh + 32 * n + l) >>> (2 * g)) & 3;
            float scale = d * data.get(ValueLayout.JAVA_BYTE, scales + e / 16);
            out[o + e] = scale * ((low | high << 4) - 32);
        }
    }

    /**
     * Q6_K: each sub-block of 16 gets x = scale * q with q in [-32, 31] and scale = (its value of
     * largest magnitude) / -32, stored as a signed 8-bit multiple of the super-block's f16 d.
     */
    @Override
    void quantizeBlock(float[] v, int o, ByteBuffer out) {
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
        float d = Quantizer.f16Round(maxScale / 127);

        byte[] scaleQuants = new byte[16];
        int[] q = new int[256];
        int[] candidate = new int[16];
        for (int k = 0; k < 16; k++) {
            int guess = d == 0 ? 0 : Math.round(scales[k] / d);
            double bestError = Double.POSITIVE_INFINITY;
            for (int step : Quantizer.GUESS_FIRST) {
                int sc = guess + step;
                if (sc < -128 || sc > 127) {
                    continue;
                }
                float scale = d * sc;
                float inverse = scale == 0 ? 0 : 1 / scale;
                double error = 0;
                for (int l = 0; l < 16; l++) {
                    float x = v[o + 16 * k + l];
                    candidate[l] = Quantizer.clamp(Math.round(x * inverse), -32, 31);
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

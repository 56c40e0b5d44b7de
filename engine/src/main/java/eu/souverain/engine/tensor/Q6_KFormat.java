package eu.souverain.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q6_K: super-blocks of 256 six-bit quants, scaled per sub-block of 16: x = d * scale_k * (q - 32).
 * A sub-block of 16 quants (q - 32 in -32..31) times 8-bit inputs can reach 65,024 in magnitude,
 * past 16 bits, so the kernels sum each half of 8 on its own: sum(q a) - 32 sum(a), exact in
 * wrapping 16-bit lanes as in {@link TiledFormat} (at most 32,512), scaled by d * scale_k and the
 * input's run scale. The kernels add up sum(a) from the quants they broadcast.
 *
 * <p>A tile's super-block holds its R rows' d as floats, then for each sub-block their signed
 * 8-bit scales and their quants a byte each, two elements to a 16-bit lane: 276 bytes per row and
 * super-block against the file's 210.
 */
final class Q6_KFormat extends TiledFormat {

    static final Q6_KFormat INSTANCE = new Q6_KFormat();

    private static final VectorSpecies<Byte> BR = VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * R));
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    /** Where sub-block 0 starts: R scales, then 8 pairs of quants as R shorts each; then sub-block 1. */
    private static final int SUB_BLOCKS = 4 * R;
    private static final int SUB_BLOCK = 17 * R;
    /** Bytes of one super-block of a tile. */
    private static final int TILE_SUPER = 276 * R;

    private Q6_KFormat() {
        super(GGMLType.Q6_K);
    }

    @Override
    int tileBytes(int cols) {
        return cols / 256 * TILE_SUPER;
    }

    @Override
    void arrangeTile(byte[] stored, int rowBytes, int cols, byte[] tile) {
        MemorySegment bytes = MemorySegment.ofArray(stored);
        for (int s = 0; s < cols / 256; s++) {
            int to = s * TILE_SUPER;
            for (int r = 0; r < R; r++) {
                int from = r * rowBytes + 210 * s;
                putFloat(tile, to + 4 * r, ScalarReference.f16(bytes, from + 208));
                for (int k = 0; k < 16; k++) {
                    tile[to + SUB_BLOCKS + SUB_BLOCK * k + r] = stored[from + 192 + k];
                }
                for (int e = 0; e < 256; e++) {
                    int k = e / 16;
                    int pair = e % 16 / 2;
                    tile[to + SUB_BLOCKS + SUB_BLOCK * k + R + 2 * R * pair + 2 * r + e % 2] = (byte) quant(bytes, from, e);
                }
            }
        }
    }

    @Override
    void tile(MemorySegment w, int cols, int t, PreparedVector x, float[] out, int o) {
        int supers = cols / 256;
        short[] a = x.quants();
        float[] scales = x.quantScales();
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        long block = (long) t * supers * TILE_SUPER;
        for (int s = 0; s < supers; s++, block += TILE_SUPER) {
            FloatVector d0 = FloatVector.fromMemorySegment(F, w, block, LE);
            FloatVector d1 = FloatVector.fromMemorySegment(F, w, block + 4L * L, LE);
            for (int k = 0; k < 16; k++) {
                long subBlock = block + SUB_BLOCKS + (long) SUB_BLOCK * k;
                ByteVector scale = ByteVector.fromMemorySegment(BR, w, subBlock, LE);
                float da = scales[8 * s + k / 2];
                FloatVector ds0 = ((FloatVector) scale.convertShape(VectorOperators.B2F, F, 0)).mul(d0).mul(da);
                FloatVector ds1 = ((FloatVector) scale.convertShape(VectorOperators.B2F, F, 1)).mul(d1).mul(da);
                for (int half = 0, e = 256 * s + 16 * k; half < 2; half++) {
                    ShortVector sum = ShortVector.zero(SR);
                    int plain = 0;
                    for (int pair = 4 * half; pair < 4 * half + 4; pair++, e += 2) {
                        ShortVector q = ShortVector.fromMemorySegment(SR, w, subBlock + R + 2L * R * pair, LE);
                        sum = sum.add(q.and((short) 0xFF).mul(a[e])).add(q.lanewise(VectorOperators.LSHR, 8).mul(a[e + 1]));
                        plain += a[e] + a[e + 1];
                    }
                    sum = sum.sub((short) (32 * plain));
                    acc0 = ((FloatVector) sum.convertShape(VectorOperators.S2F, F, 0)).fma(ds0, acc0);
                    acc1 = ((FloatVector) sum.convertShape(VectorOperators.S2F, F, 1)).fma(ds1, acc1);
                }
            }
        }
        acc0.intoArray(out, o);
        acc1.intoArray(out, o + L);
    }

    @Override
    void tileScalar(MemorySegment w, int cols, int t, PreparedVector x, float[] out, int o) {
        short[] a = x.quants();
        float[] scales = x.quantScales();
        Arrays.fill(out, o, o + R, 0f);
        long block = (long) t * (cols / 256) * TILE_SUPER;
        for (int s = 0; s < cols / 256; s++, block += TILE_SUPER) {
            for (int r = 0; r < R; r++) {
                float d = w.get(FLOAT_LE, block + 4L * r);
                for (int k = 0; k < 16; k++) {
                    long subBlock = block + SUB_BLOCKS + (long) SUB_BLOCK * k;
                    float ds = w.get(ValueLayout.JAVA_BYTE, subBlock + r) * d * scales[8 * s + k / 2];
                    for (int half = 0, e = 256 * s + 16 * k; half < 2; half++) {
                        int sum = 0;
                        int plain = 0;
                        for (int pair = 4 * half; pair < 4 * half + 4; pair++, e += 2) {
                            int q = w.get(SHORT_LE, subBlock + R + 2L * R * pair + 2L * r);
                            sum += (q & 0xFF) * a[e] + (q >>> 8 & 0xFF) * a[e + 1];
                            plain += a[e] + a[e + 1];
                        }
                        out[o + r] = Math.fma((short) (sum - 32 * plain), ds, out[o + r]);
                    }
                }
            }
        }
    }

    @Override
    void tileFour(MemorySegment w, int cols, int t, PreparedVector[] xs, int v, int count, float[] out,
                  int o0, int o1, int o2, int o3) {
        int supers = cols / 256;
        PreparedVector p0 = xs[pick(v, 0, count)];
        PreparedVector p1 = xs[pick(v, 1, count)];
        PreparedVector p2 = xs[pick(v, 2, count)];
        PreparedVector p3 = xs[pick(v, 3, count)];
        short[] a0 = p0.quants();
        short[] a1 = p1.quants();
        short[] a2 = p2.quants();
        short[] a3 = p3.quants();
        FloatVector acc00 = FloatVector.zero(F);
        FloatVector acc10 = acc00;
        FloatVector acc01 = acc00;
        FloatVector acc11 = acc00;
        FloatVector acc02 = acc00;
        FloatVector acc12 = acc00;
        FloatVector acc03 = acc00;
        FloatVector acc13 = acc00;
        long block = (long) t * supers * TILE_SUPER;
        for (int s = 0; s < supers; s++, block += TILE_SUPER) {
            for (int k = 0; k < 16; k++) {
                long subBlock = block + SUB_BLOCKS + (long) SUB_BLOCK * k;
                ByteVector scale = ByteVector.fromMemorySegment(BR, w, subBlock, LE);
                FloatVector d0 = ((FloatVector) scale.convertShape(VectorOperators.B2F, F, 0))
                        .mul(FloatVector.fromMemorySegment(F, w, block, LE));
                FloatVector d1 = ((FloatVector) scale.convertShape(VectorOperators.B2F, F, 1))
                        .mul(FloatVector.fromMemorySegment(F, w, block + 4L * L, LE));
                int run = 8 * s + k / 2;
                FloatVector ds00 = d0.mul(p0.quantScales()[run]);
                FloatVector ds10 = d1.mul(p0.quantScales()[run]);
                FloatVector ds01 = d0.mul(p1.quantScales()[run]);
                FloatVector ds11 = d1.mul(p1.quantScales()[run]);
                FloatVector ds02 = d0.mul(p2.quantScales()[run]);
                FloatVector ds12 = d1.mul(p2.quantScales()[run]);
                FloatVector ds03 = d0.mul(p3.quantScales()[run]);
                FloatVector ds13 = d1.mul(p3.quantScales()[run]);
                for (int half = 0, e = 256 * s + 16 * k; half < 2; half++) {
                    ShortVector sum0 = ShortVector.zero(SR);
                    ShortVector sum1 = sum0;
                    ShortVector sum2 = sum0;
                    ShortVector sum3 = sum0;
                    int plain0 = 0;
                    int plain1 = 0;
                    int plain2 = 0;
                    int plain3 = 0;
                    for (int pair = 4 * half; pair < 4 * half + 4; pair++, e += 2) {
                        ShortVector q = ShortVector.fromMemorySegment(SR, w, subBlock + R + 2L * R * pair, LE);
                        ShortVector q0 = q.and((short) 0xFF);
                        ShortVector q1 = q.lanewise(VectorOperators.LSHR, 8);
                        sum0 = sum0.add(q0.mul(a0[e])).add(q1.mul(a0[e + 1]));
                        sum1 = sum1.add(q0.mul(a1[e])).add(q1.mul(a1[e + 1]));
                        sum2 = sum2.add(q0.mul(a2[e])).add(q1.mul(a2[e + 1]));
                        sum3 = sum3.add(q0.mul(a3[e])).add(q1.mul(a3[e + 1]));
                        plain0 += a0[e] + a0[e + 1];
                        plain1 += a1[e] + a1[e + 1];
                        plain2 += a2[e] + a2[e + 1];
                        plain3 += a3[e] + a3[e + 1];
                    }
                    sum0 = sum0.sub((short) (32 * plain0));
                    sum1 = sum1.sub((short) (32 * plain1));
                    sum2 = sum2.sub((short) (32 * plain2));
                    sum3 = sum3.sub((short) (32 * plain3));
                    acc00 = ((FloatVector) sum0.convertShape(VectorOperators.S2F, F, 0)).fma(ds00, acc00);
                    acc10 = ((FloatVector) sum0.convertShape(VectorOperators.S2F, F, 1)).fma(ds10, acc10);
                    acc01 = ((FloatVector) sum1.convertShape(VectorOperators.S2F, F, 0)).fma(ds01, acc01);
                    acc11 = ((FloatVector) sum1.convertShape(VectorOperators.S2F, F, 1)).fma(ds11, acc11);
                    acc02 = ((FloatVector) sum2.convertShape(VectorOperators.S2F, F, 0)).fma(ds02, acc02);
                    acc12 = ((FloatVector) sum2.convertShape(VectorOperators.S2F, F, 1)).fma(ds12, acc12);
                    acc03 = ((FloatVector) sum3.convertShape(VectorOperators.S2F, F, 0)).fma(ds03, acc03);
                    acc13 = ((FloatVector) sum3.convertShape(VectorOperators.S2F, F, 1)).fma(ds13, acc13);
                }
            }
        }
        acc00.intoArray(out, o0);
        acc10.intoArray(out, o0 + L);
        acc01.intoArray(out, o1);
        acc11.intoArray(out, o1 + L);
        acc02.intoArray(out, o2);
        acc12.intoArray(out, o2 + L);
        acc03.intoArray(out, o3);
        acc13.intoArray(out, o3 + L);
    }

    /**
     * block_q6_K: u8 ql[128], u8 qh[64], i8 scales[16], f16 d. Each half n (128 elements) has
     * four groups g of 32: element l of group g takes its low 4 bits from ql[64n + 32*(g%2) + l]
     * (low nibble for g &lt; 2, high for g &ge; 2) and its high 2 bits from bits 2g..2g+1 of
     * qh[32n + l]; x = d * scales[e/16] * (q - 32) for element e.
     */
    @Override
    void dequantizeBlock(MemorySegment data, long block, float[] out, int o) {
        float d = ScalarReference.f16(data, block + 208);
        for (int e = 0; e < 256; e++) {
            float scale = d * data.get(ValueLayout.JAVA_BYTE, block + 192 + e / 16);
            out[o + e] = scale * (quant(data, block, e) - 32);
        }
    }

    /** The 6-bit quant (0..63) of element e of the block at {@code block}, as the layout above stores it. */
    private static int quant(MemorySegment data, long block, int e) {
        int n = e / 128;
        int g = (e % 128) / 32;
        int l = e % 32;
        int low = ScalarReference.u8(data, block + 64 * n + 32 * (g % 2) + l) >>> 4 * (g / 2) & 0xF;
        int high = ScalarReference.u8(data, block + 128 + 32 * n + l) >>> 2 * g & 3;
        return low | high << 4;
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

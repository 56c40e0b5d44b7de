package eu.souverain.engine.tensor;

import static eu.souverain.engine.tensor.KQuantWithMin.scaleAndMin;

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
 * Q4_K: super-blocks of 256 four-bit quants, scaled and offset per sub-block of 32:
 * x = d * scale_j * q - dmin * min_j. A sub-block times a vector run is
 * d_a * (d * scale_j * sum(q a) - dmin * min_j * sum(a)); with S = sum((q - 8) a), the kernels'
 * exact 16-bit sum ({@link TiledFormat}), that is d_a * d * scale_j * S +
 * d_a * 8 sum(a) * (d * scale_j - dmin * min_j / 8), two FMAs per sub-block in each row's lane.
 *
 * <p>A tile's super-block holds its R rows' d, then dmin / 8, as floats, then for each sub-block
 * their 6-bit scales and mins as bytes and their quants in Q4_0's order (element k in the low
 * nibble of byte k, k + 16 in the high one): 152 bytes per row and super-block against the file's
 * 144, read in the order they are stored (with the scales apart from the quants, a thread read
 * from memory at half the rate).
 */
final class Q4_KFormat extends TiledFormat {

    static final Q4_KFormat INSTANCE = new Q4_KFormat();

    private static final VectorSpecies<Byte> BR = VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * R));
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    private static final int DMIN = 4 * R;
    /** Where sub-block 0 starts: R scales, R mins, 16 R bytes of quants; then sub-block 1. */
    private static final int SUB_BLOCKS = 8 * R;
    private static final int SUB_BLOCK = 18 * R;
    /** Bytes of one super-block of a tile. */
    private static final int TILE_SUPER = 152 * R;

    private Q4_KFormat() {
        super(GGMLType.Q4_K);
    }

    @Override
    int tileBytes(int cols) {
        return cols / 256 * TILE_SUPER;
    }

    @Override
    void arrangeTile(byte[] stored, int rowBytes, int cols, byte[] tile) {
        MemorySegment bytes = MemorySegment.ofArray(stored);
        byte[] quants = new byte[256];
        for (int s = 0; s < cols / 256; s++) {
            int to = s * TILE_SUPER;
            for (int r = 0; r < R; r++) {
                int from = r * rowBytes + 144 * s;
                putFloat(tile, to + 4 * r, ScalarReference.f16(bytes, from));
                putFloat(tile, to + DMIN + 4 * r, ScalarReference.f16(bytes, from + 2) * 0.125f);
                for (int j = 0; j < 8; j++) {
                    int scaleAndMin = scaleAndMin(bytes, from + 4, j);
                    int subBlock = to + SUB_BLOCKS + SUB_BLOCK * j;
                    tile[subBlock + r] = (byte) scaleAndMin;
                    tile[subBlock + R + r] = (byte) (scaleAndMin >>> 8);
                    for (int k = 0; k < 32; k++) {
                        quants[32 * j + k] = (byte) quant(bytes, from, j, k);
                    }
                    for (int pair = 0; pair < 8; pair++) {
                        int k = 32 * j + 2 * pair;
                        int at = subBlock + 2 * R * (pair + 1) + 2 * r;
                        tile[at] = (byte) (quants[k] | quants[k + 16] << 4);
                        tile[at + 1] = (byte) (quants[k + 1] | quants[k + 17] << 4);
                    }
                }
            }
        }
    }

    @Override
    void tile(MemorySegment w, int cols, int t, PreparedVector x, float[] out, int o) {
        int supers = cols / 256;
        short[] a = x.quants();
        float[] scales = x.quantScales();
        short[] offsets = x.quantOffsets();
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        long block = (long) t * supers * TILE_SUPER;
        for (int s = 0; s < supers; s++, block += TILE_SUPER) {
            FloatVector d0 = FloatVector.fromMemorySegment(F, w, block, LE);
            FloatVector d1 = FloatVector.fromMemorySegment(F, w, block + 4L * L, LE);
            FloatVector dmin0 = FloatVector.fromMemorySegment(F, w, block + DMIN, LE);
            FloatVector dmin1 = FloatVector.fromMemorySegment(F, w, block + DMIN + 4L * L, LE);
            for (int j = 0, run = 8 * s; j < 8; j++, run++) {
                ShortVector sum = ShortVector.zero(SR);
                long subBlock = block + SUB_BLOCKS + (long) SUB_BLOCK * j;
                for (int pair = 0, e = 32 * run; pair < 8; pair++, e += 2) {
                    ShortVector q = ShortVector.fromMemorySegment(SR, w, subBlock + 2L * R * (pair + 1), LE);
                    sum = sum.add(q.and((short) 0xF).mul(a[e]))
                            .add(q.lanewise(VectorOperators.LSHR, 4).and((short) 0xF).mul(a[e + 16]))
                            .add(q.lanewise(VectorOperators.LSHR, 8).and((short) 0xF).mul(a[e + 1]))
                            .add(q.lanewise(VectorOperators.LSHR, 12).mul(a[e + 17]));
                }
                sum = sum.sub(offsets[run]);
                ByteVector scale = ByteVector.fromMemorySegment(BR, w, subBlock, LE);
                ByteVector min = ByteVector.fromMemorySegment(BR, w, subBlock + R, LE);
                FloatVector ds0 = ((FloatVector) scale.convertShape(VectorOperators.B2F, F, 0)).mul(d0);
                FloatVector ds1 = ((FloatVector) scale.convertShape(VectorOperators.B2F, F, 1)).mul(d1);
                FloatVector c0 = ds0.sub(((FloatVector) min.convertShape(VectorOperators.B2F, F, 0)).mul(dmin0));
                FloatVector c1 = ds1.sub(((FloatVector) min.convertShape(VectorOperators.B2F, F, 1)).mul(dmin1));
                float da = scales[run];
                FloatVector daSum = FloatVector.broadcast(F, da * offsets[run]);
                acc0 = c0.fma(daSum, ((FloatVector) sum.convertShape(VectorOperators.S2F, F, 0)).fma(ds0.mul(da), acc0));
                acc1 = c1.fma(daSum, ((FloatVector) sum.convertShape(VectorOperators.S2F, F, 1)).fma(ds1.mul(da), acc1));
            }
        }
        acc0.intoArray(out, o);
        acc1.intoArray(out, o + L);
    }

    @Override
    void tileScalar(MemorySegment w, int cols, int t, PreparedVector x, float[] out, int o) {
        short[] a = x.quants();
        float[] scales = x.quantScales();
        short[] offsets = x.quantOffsets();
        Arrays.fill(out, o, o + R, 0f);
        long block = (long) t * (cols / 256) * TILE_SUPER;
        for (int s = 0; s < cols / 256; s++, block += TILE_SUPER) {
            for (int r = 0; r < R; r++) {
                float d = w.get(FLOAT_LE, block + 4L * r);
                float dmin = w.get(FLOAT_LE, block + DMIN + 4L * r);
                for (int j = 0, run = 8 * s; j < 8; j++, run++) {
                    long subBlock = block + SUB_BLOCKS + (long) SUB_BLOCK * j;
                    int sum = 0;
                    for (int pair = 0, e = 32 * run; pair < 8; pair++, e += 2) {
                        int q = w.get(SHORT_LE, subBlock + 2L * R * (pair + 1) + 2L * r);
                        sum += (q & 0xF) * a[e] + (q >>> 4 & 0xF) * a[e + 16] + (q >>> 8 & 0xF) * a[e + 1]
                                + (q >>> 12 & 0xF) * a[e + 17];
                    }
                    float ds = w.get(ValueLayout.JAVA_BYTE, subBlock + r) * d;
                    float c = ds - w.get(ValueLayout.JAVA_BYTE, subBlock + R + r) * dmin;
                    float da = scales[run];
                    out[o + r] = Math.fma(c, da * offsets[run],
                            Math.fma((short) (sum - offsets[run]), ds * da, out[o + r]));
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
            for (int j = 0, run = 8 * s; j < 8; j++, run++) {
                ShortVector sum0 = ShortVector.zero(SR);
                ShortVector sum1 = sum0;
                ShortVector sum2 = sum0;
                ShortVector sum3 = sum0;
                long subBlock = block + SUB_BLOCKS + (long) SUB_BLOCK * j;
                for (int pair = 0, e = 32 * run; pair < 8; pair++, e += 2) {
                    ShortVector q = ShortVector.fromMemorySegment(SR, w, subBlock + 2L * R * (pair + 1), LE);
                    ShortVector q0 = q.and((short) 0xF);
                    ShortVector q16 = q.lanewise(VectorOperators.LSHR, 4).and((short) 0xF);
                    ShortVector q1 = q.lanewise(VectorOperators.LSHR, 8).and((short) 0xF);
                    ShortVector q17 = q.lanewise(VectorOperators.LSHR, 12);
                    sum0 = sum0.add(q0.mul(a0[e])).add(q16.mul(a0[e + 16])).add(q1.mul(a0[e + 1])).add(q17.mul(a0[e + 17]));
                    sum1 = sum1.add(q0.mul(a1[e])).add(q16.mul(a1[e + 16])).add(q1.mul(a1[e + 1])).add(q17.mul(a1[e + 17]));
                    sum2 = sum2.add(q0.mul(a2[e])).add(q16.mul(a2[e + 16])).add(q1.mul(a2[e + 1])).add(q17.mul(a2[e + 17]));
                    sum3 = sum3.add(q0.mul(a3[e])).add(q16.mul(a3[e + 16])).add(q1.mul(a3[e + 1])).add(q17.mul(a3[e + 17]));
                }
                ByteVector scale = ByteVector.fromMemorySegment(BR, w, subBlock, LE);
                ByteVector min = ByteVector.fromMemorySegment(BR, w, subBlock + R, LE);
                FloatVector ds0 = ((FloatVector) scale.convertShape(VectorOperators.B2F, F, 0))
                        .mul(FloatVector.fromMemorySegment(F, w, block, LE));
                FloatVector ds1 = ((FloatVector) scale.convertShape(VectorOperators.B2F, F, 1))
                        .mul(FloatVector.fromMemorySegment(F, w, block + 4L * L, LE));
                FloatVector c0 = ds0.sub(((FloatVector) min.convertShape(VectorOperators.B2F, F, 0))
                        .mul(FloatVector.fromMemorySegment(F, w, block + DMIN, LE)));
                FloatVector c1 = ds1.sub(((FloatVector) min.convertShape(VectorOperators.B2F, F, 1))
                        .mul(FloatVector.fromMemorySegment(F, w, block + DMIN + 4L * L, LE)));
                sum0 = sum0.sub(p0.quantOffsets()[run]);
                sum1 = sum1.sub(p1.quantOffsets()[run]);
                sum2 = sum2.sub(p2.quantOffsets()[run]);
                sum3 = sum3.sub(p3.quantOffsets()[run]);
                float da0 = p0.quantScales()[run];
                float da1 = p1.quantScales()[run];
                float da2 = p2.quantScales()[run];
                float da3 = p3.quantScales()[run];
                FloatVector daSum = FloatVector.broadcast(F, da0 * p0.quantOffsets()[run]);
                acc00 = c0.fma(daSum, ((FloatVector) sum0.convertShape(VectorOperators.S2F, F, 0)).fma(ds0.mul(da0), acc00));
                acc10 = c1.fma(daSum, ((FloatVector) sum0.convertShape(VectorOperators.S2F, F, 1)).fma(ds1.mul(da0), acc10));
                daSum = FloatVector.broadcast(F, da1 * p1.quantOffsets()[run]);
                acc01 = c0.fma(daSum, ((FloatVector) sum1.convertShape(VectorOperators.S2F, F, 0)).fma(ds0.mul(da1), acc01));
                acc11 = c1.fma(daSum, ((FloatVector) sum1.convertShape(VectorOperators.S2F, F, 1)).fma(ds1.mul(da1), acc11));
                daSum = FloatVector.broadcast(F, da2 * p2.quantOffsets()[run]);
                acc02 = c0.fma(daSum, ((FloatVector) sum2.convertShape(VectorOperators.S2F, F, 0)).fma(ds0.mul(da2), acc02));
                acc12 = c1.fma(daSum, ((FloatVector) sum2.convertShape(VectorOperators.S2F, F, 1)).fma(ds1.mul(da2), acc12));
                daSum = FloatVector.broadcast(F, da3 * p3.quantOffsets()[run]);
                acc03 = c0.fma(daSum, ((FloatVector) sum3.convertShape(VectorOperators.S2F, F, 0)).fma(ds0.mul(da3), acc03));
                acc13 = c1.fma(daSum, ((FloatVector) sum3.convertShape(VectorOperators.S2F, F, 1)).fma(ds1.mul(da3), acc13));
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
     * block_q4_K: f16 d, f16 dmin, u8 scales[12], u8 qs[128]. Sub-block j (32 elements) has
     * x = d*scale_j * q - dmin*min_j, its 4-bit q in qs[32*(j/2) + l]: low nibbles for even j,
     * high nibbles for odd j.
     */
    @Override
    void quantizeBlock(float[] values, int o, ByteBuffer out) {
        KQuantWithMin.quantize(values, o, 15, out);
    }

    @Override
    void dequantizeBlock(MemorySegment data, long block, float[] out, int o) {
        float d = ScalarReference.f16(data, block);
        float dmin = ScalarReference.f16(data, block + 2);
        for (int j = 0; j < 8; j++) {
            int sm = scaleAndMin(data, block + 4, j);
            float scale = d * (sm & 0xFF);
            float min = dmin * (sm >>> 8);
            for (int l = 0; l < 32; l++) {
                out[o + 32 * j + l] = scale * quant(data, block, j, l) - min;
            }
        }
    }

    /** The 4-bit quant of element l of sub-block j of the block at {@code block}. */
    private static int quant(MemorySegment data, long block, int j, int l) {
        return ScalarReference.u8(data, block + 16 + 32 * (j / 2) + l) >>> 4 * (j & 1) & 0xF;
    }
}

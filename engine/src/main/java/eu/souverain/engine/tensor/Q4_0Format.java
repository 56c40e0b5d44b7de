package eu.souverain.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_0: blocks of 32 four-bit quants centred on 8 and an f16 scale. The tiles ({@link TiledFormat})
 * hold, per block, the R rows' f16 scales, then their quants: as many bytes as the file's blocks.
 */
final class Q4_0Format extends TiledFormat {

    static final Q4_0Format INSTANCE = new Q4_0Format();

    /** Bytes of one block of a tile: R f16 scales, then 8 pairs of quant bytes of R rows. */
    private static final int TILE_BLOCK = 18 * R;

    private Q4_0Format() {
        super(GGMLType.Q4_0);
    }

    @Override
    int tileBytes(int cols) {
        return cols / 32 * TILE_BLOCK;
    }

    @Override
    void arrangeTile(byte[] stored, int rowBytes, int cols, byte[] tile) {
        for (int b = 0; b < cols / 32; b++) {
            int to = b * TILE_BLOCK;
            for (int r = 0; r < R; r++) {
                int from = r * rowBytes + 18 * b;
                tile[to + 2 * r] = stored[from];
                tile[to + 2 * r + 1] = stored[from + 1];
                for (int pair = 0; pair < 8; pair++) {
                    int at = to + 2 * R + 2 * (pair * R + r);
                    tile[at] = stored[from + 2 + 2 * pair];
                    tile[at + 1] = stored[from + 3 + 2 * pair];
                }
            }
        }
    }

    @Override
    void tile(MemorySegment w, int cols, int t, PreparedVector x, float[] out, int o) {
        int blocks = cols / 32;
        short[] a = x.quants();
        float[] scales = x.quantScales();
        short[] offsets = x.quantOffsets();
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        long block = (long) t * blocks * TILE_BLOCK;
        for (int b = 0; b < blocks; b++, block += TILE_BLOCK) {
            ShortVector sum = ShortVector.zero(SR);
            for (int pair = 0, e = 32 * b; pair < 8; pair++, e += 2) {
                // Bytes 2 * pair and 2 * pair + 1 of each row: elements e and e + 16 in the first,
                // e + 1 and e + 17 in the second.
                ShortVector q = ShortVector.fromMemorySegment(SR, w, block + 2L * R * (pair + 1), LE);
                sum = sum.add(q.and((short) 0xF).mul(a[e]))
                        .add(q.lanewise(VectorOperators.LSHR, 4).and((short) 0xF).mul(a[e + 16]))
                        .add(q.lanewise(VectorOperators.LSHR, 8).and((short) 0xF).mul(a[e + 1]))
                        .add(q.lanewise(VectorOperators.LSHR, 12).mul(a[e + 17]));
            }
            sum = sum.sub(offsets[b]);
            float d = scales[b];
            // The scales' f16 bits as floats, exactly: the exponent and mantissa shifted into a
            // float's places give the value times 2^-112 (subnormals and zero too), which one
            // multiply restores; infinities and NaNs get the float's all-ones exponent instead.
            // Written out in both kernels: a helper taking a vector is called boxed.
            ShortVector halves = ShortVector.fromMemorySegment(SR, w, block, LE);
            IntVector h0 = (IntVector) halves.convertShape(VectorOperators.S2I, IR, 0);
            IntVector h1 = (IntVector) halves.convertShape(VectorOperators.S2I, IR, 1);
            FloatVector scale0 = h0.and(0x7FFF).lanewise(VectorOperators.LSHL, 13)
                    .lanewise(VectorOperators.OR, 0x7F800000, h0.and(0x7C00).compare(VectorOperators.EQ, 0x7C00))
                    .or(h0.and(0x80000000)).reinterpretAsFloats().mul(0x1p112f);
            FloatVector scale1 = h1.and(0x7FFF).lanewise(VectorOperators.LSHL, 13)
                    .lanewise(VectorOperators.OR, 0x7F800000, h1.and(0x7C00).compare(VectorOperators.EQ, 0x7C00))
                    .or(h1.and(0x80000000)).reinterpretAsFloats().mul(0x1p112f);
            acc0 = ((FloatVector) sum.convertShape(VectorOperators.S2F, F, 0)).fma(scale0.mul(d), acc0);
            acc1 = ((FloatVector) sum.convertShape(VectorOperators.S2F, F, 1)).fma(scale1.mul(d), acc1);
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
        long block = (long) t * (cols / 32) * TILE_BLOCK;
        for (int b = 0; b < cols / 32; b++, block += TILE_BLOCK) {
            for (int r = 0; r < R; r++) {
                int sum = 0;
                for (int pair = 0, e = 32 * b; pair < 8; pair++, e += 2) {
                    int q = w.get(SHORT_LE, block + 2L * R * (pair + 1) + 2L * r);
                    sum += (q & 0xF) * a[e] + (q >>> 4 & 0xF) * a[e + 16] + (q >>> 8 & 0xF) * a[e + 1]
                            + (q >>> 12 & 0xF) * a[e + 17];
                }
                float scale = Float.float16ToFloat(w.get(SHORT_LE, block + 2L * r));
                out[o + r] = Math.fma((short) (sum - offsets[b]), scale * scales[b], out[o + r]);
            }
        }
    }

    @Override
    void tileFour(MemorySegment w, int cols, int t, PreparedVector[] xs, int v, int count, float[] out,
                  int o0, int o1, int o2, int o3) {
        int blocks = cols / 32;
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
        long block = (long) t * blocks * TILE_BLOCK;
        for (int b = 0; b < blocks; b++, block += TILE_BLOCK) {
            ShortVector sum0 = ShortVector.zero(SR);
            ShortVector sum1 = sum0;
            ShortVector sum2 = sum0;
            ShortVector sum3 = sum0;
            for (int pair = 0, e = 32 * b; pair < 8; pair++, e += 2) {
                ShortVector q = ShortVector.fromMemorySegment(SR, w, block + 2L * R * (pair + 1), LE);
                ShortVector q0 = q.and((short) 0xF);
                ShortVector q16 = q.lanewise(VectorOperators.LSHR, 4).and((short) 0xF);
                ShortVector q1 = q.lanewise(VectorOperators.LSHR, 8).and((short) 0xF);
                ShortVector q17 = q.lanewise(VectorOperators.LSHR, 12);
                sum0 = sum0.add(q0.mul(a0[e])).add(q16.mul(a0[e + 16])).add(q1.mul(a0[e + 1])).add(q17.mul(a0[e + 17]));
                sum1 = sum1.add(q0.mul(a1[e])).add(q16.mul(a1[e + 16])).add(q1.mul(a1[e + 1])).add(q17.mul(a1[e + 17]));
                sum2 = sum2.add(q0.mul(a2[e])).add(q16.mul(a2[e + 16])).add(q1.mul(a2[e + 1])).add(q17.mul(a2[e + 17]));
                sum3 = sum3.add(q0.mul(a3[e])).add(q16.mul(a3[e + 16])).add(q1.mul(a3[e + 1])).add(q17.mul(a3[e + 17]));
            }
            ShortVector halves = ShortVector.fromMemorySegment(SR, w, block, LE);
            IntVector h0 = (IntVector) halves.convertShape(VectorOperators.S2I, IR, 0);
            IntVector h1 = (IntVector) halves.convertShape(VectorOperators.S2I, IR, 1);
            FloatVector scale0 = h0.and(0x7FFF).lanewise(VectorOperators.LSHL, 13)
                    .lanewise(VectorOperators.OR, 0x7F800000, h0.and(0x7C00).compare(VectorOperators.EQ, 0x7C00))
                    .or(h0.and(0x80000000)).reinterpretAsFloats().mul(0x1p112f);
            FloatVector scale1 = h1.and(0x7FFF).lanewise(VectorOperators.LSHL, 13)
                    .lanewise(VectorOperators.OR, 0x7F800000, h1.and(0x7C00).compare(VectorOperators.EQ, 0x7C00))
                    .or(h1.and(0x80000000)).reinterpretAsFloats().mul(0x1p112f);
            sum0 = sum0.sub(p0.quantOffsets()[b]);
            sum1 = sum1.sub(p1.quantOffsets()[b]);
            sum2 = sum2.sub(p2.quantOffsets()[b]);
            sum3 = sum3.sub(p3.quantOffsets()[b]);
            float d0 = p0.quantScales()[b];
            float d1 = p1.quantScales()[b];
            float d2 = p2.quantScales()[b];
            float d3 = p3.quantScales()[b];
            acc00 = ((FloatVector) sum0.convertShape(VectorOperators.S2F, F, 0)).fma(scale0.mul(d0), acc00);
            acc10 = ((FloatVector) sum0.convertShape(VectorOperators.S2F, F, 1)).fma(scale1.mul(d0), acc10);
            acc01 = ((FloatVector) sum1.convertShape(VectorOperators.S2F, F, 0)).fma(scale0.mul(d1), acc01);
            acc11 = ((FloatVector) sum1.convertShape(VectorOperators.S2F, F, 1)).fma(scale1.mul(d1), acc11);
            acc02 = ((FloatVector) sum2.convertShape(VectorOperators.S2F, F, 0)).fma(scale0.mul(d2), acc02);
            acc12 = ((FloatVector) sum2.convertShape(VectorOperators.S2F, F, 1)).fma(scale1.mul(d2), acc12);
            acc03 = ((FloatVector) sum3.convertShape(VectorOperators.S2F, F, 0)).fma(scale0.mul(d3), acc03);
            acc13 = ((FloatVector) sum3.convertShape(VectorOperators.S2F, F, 1)).fma(scale1.mul(d3), acc13);
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

    /** block_q4_0: f16 d, u8 qs[16]; low nibbles are elements 0..15, high nibbles 16..31; x = (q - 8) * d. */
    @Override
    void dequantizeBlock(MemorySegment data, long block, float[] out, int o) {
        float d = ScalarReference.f16(data, block);
        for (int i = 0; i < 16; i++) {
            int q = ScalarReference.u8(data, block + 2 + i);
            out[o + i] = ((q & 0xF) - 8) * d;
            out[o + i + 16] = ((q >>> 4) - 8) * d;
        }
    }

    /** Scale (value of largest magnitude) / -8, so that value decodes exactly as quant 0 (-8). */
    @Override
    void quantizeBlock(float[] v, int o, ByteBuffer out) {
        float extreme = 0;
        for (int i = 0; i < 32; i++) {
            if (Math.abs(v[o + i]) > Math.abs(extreme)) {
                extreme = v[o + i];
            }
        }
        // extreme == 0 must give +0, not -0.
        float d = extreme == 0 ? 0 : Quantizer.f16Round(extreme / -8);
        float inverse = d == 0 ? 0 : 1 / d;
        out.putShort(Float.floatToFloat16(d));
        for (int i = 0; i < 16; i++) {
            int low = Quantizer.clamp(Math.round(v[o + i] * inverse) + 8, 0, 15);
            int high = Quantizer.clamp(Math.round(v[o + i + 16] * inverse) + 8, 0, 15);
            out.put((byte) (low | high << 4));
        }
    }
}

package eu.souverain.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/** Q4_0: blocks of 32 four-bit quants centred on 8 and an f16 scale. */
final class Q4_0Format extends BlockFormat {

    static final Q4_0Format INSTANCE = new Q4_0Format();

    private Q4_0Format() {
        super(GGMLType.Q4_0);
    }

    @Override
    float dot(MemorySegment data, long offset, int cols, PreparedVector x) {
        return dot(data, offset, x.values(), x.offset(), cols);
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
        int r = rowFrom;
        for (; r + 1 < rowTo; r += 2) {
            long offset = r * rowBytes;
            int v = 0;
            while (v < count) {
                if (count - v > 1) {
                    dotFourTwoRows(data, offset, rowBytes, cols, xs, v, count, out, outStride, r, lanes);
                    v += 4;
                } else {
                    float[] x = xs[v].values();
                    int xOffset = xs[v].offset();
                    out[v * outStride + r] = dot(data, offset, x, xOffset, cols);
                    out[v * outStride + r + 1] = dot(data, offset + rowBytes, x, xOffset, cols);
                    v++;
                }
            }
        }
        for (; r < rowTo; r++) {
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
        for (int i = 0; i < n; i += 32) {
            long block = offset + (long) (i / 32) * 18;
            float d = ScalarReference.f16(w, block);
            IntVector qs = IntVector.fromMemorySegment(I128, w, block + 2, LE);
            for (int half = 0; half < 2; half++) {
                ByteVector q = qs.lanewise(VectorOperators.LSHR, 4 * half).and(0x0F0F0F0F)
                        .reinterpretAsBytes().sub((byte) 8);
                for (int p = 0; p < PARTS; p++) {
                    ((FloatVector) q.convertShape(VectorOperators.B2F, F, p)).mul(d)
                            .intoArray(out, o + i + 16 * half + p * L);
                }
            }
        }
    }

    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        for (int b = 0, blocks = n / 32; b < blocks; b++) {
            long block = offset + 18L * b;
            float scale = ScalarReference.f16(w, block);
            FloatVector d = FloatVector.broadcast(F, scale);
            FloatVector offset8 = FloatVector.broadcast(F, -8 * scale);
            IntVector qs = IntVector.fromMemorySegment(I128, w, block + 2, LE);
            // Low nibbles are elements 0..15, high nibbles 16..31; (q - 8) * d as one FMA, q * d - 8d,
            // exact before its one rounding like the product it replaces, and two vector ops fewer
            // for C2 to parse: with the byte subtraction, 8 lanes ran out of its node budget.
            ByteVector low = qs.and(0x0F0F0F0F).reinterpretAsBytes();
            ByteVector high = qs.lanewise(VectorOperators.LSHR, 4).and(0x0F0F0F0F).reinterpretAsBytes();
            for (int p = 0; p < PARTS; p++) {
                int xi = xOffset + 32 * b + p * L;
                acc0 = ((FloatVector) low.convertShape(VectorOperators.B2F, F, p)).fma(d, offset8)
                        .fma(FloatVector.fromArray(F, x, xi), acc0);
                acc1 = ((FloatVector) high.convertShape(VectorOperators.B2F, F, p)).fma(d, offset8)
                        .fma(FloatVector.fromArray(F, x, xi + 16), acc1);
            }
        }
        return Lanes.sum(acc0.add(acc1));
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
        // Accumulator a of vector k is acc<a><k>: the two of the single-vector kernel, for each vector.
        FloatVector acc00 = FloatVector.zero(F);
        FloatVector acc10 = acc00;
        FloatVector acc01 = acc00;
        FloatVector acc11 = acc00;
        FloatVector acc02 = acc00;
        FloatVector acc12 = acc00;
        FloatVector acc03 = acc00;
        FloatVector acc13 = acc00;
        for (int b = 0, blocks = n / 32; b < blocks; b++) {
            long block = offset + 18L * b;
            float scale = ScalarReference.f16(w, block);
            FloatVector d = FloatVector.broadcast(F, scale);
            FloatVector offset8 = FloatVector.broadcast(F, -8 * scale);
            IntVector qs = IntVector.fromMemorySegment(I128, w, block + 2, LE);
            ByteVector lowBytes = qs.and(0x0F0F0F0F).reinterpretAsBytes();
            ByteVector highBytes = qs.lanewise(VectorOperators.LSHR, 4).and(0x0F0F0F0F).reinterpretAsBytes();
            for (int p = 0; p < PARTS; p++) {
                int e = 32 * b + p * L;
                FloatVector low = ((FloatVector) lowBytes.convertShape(VectorOperators.B2F, F, p)).fma(d, offset8);
                FloatVector high = ((FloatVector) highBytes.convertShape(VectorOperators.B2F, F, p)).fma(d, offset8);
                acc00 = low.fma(FloatVector.fromArray(F, x0, o0 + e), acc00);
                acc10 = high.fma(FloatVector.fromArray(F, x0, o0 + e + 16), acc10);
                acc01 = low.fma(FloatVector.fromArray(F, x1, o1 + e), acc01);
                acc11 = high.fma(FloatVector.fromArray(F, x1, o1 + e + 16), acc11);
                acc02 = low.fma(FloatVector.fromArray(F, x2, o2 + e), acc02);
                acc12 = high.fma(FloatVector.fromArray(F, x2, o2 + e + 16), acc12);
                acc03 = low.fma(FloatVector.fromArray(F, x3, o3 + e), acc03);
                acc13 = high.fma(FloatVector.fromArray(F, x3, o3 + e + 16), acc13);
            }
        }
        acc00.add(acc10).intoArray(lanes, 0);
        acc01.add(acc11).intoArray(lanes, L);
        acc02.add(acc12).intoArray(lanes, 2 * L);
        acc03.add(acc13).intoArray(lanes, 3 * L);
        write(lanes, v, count, out, outStride, row);
    }

    /**
     * Q4_0, rows {@code row} and {@code row + 1} (at {@code offset} and {@code offset + rowBytes})
     * times the four vectors: each vector run loaded once for both rows. A batched decode step is
     * bound by those loads more than by the arithmetic (docs/performance.md, "Measurements behind the
     * kernels"). Each row's accumulators take the
     * FMAs of {@link #dotFour} in the same order, so the results are its bits.
     */
    static void dotFourTwoRows(MemorySegment w, long offset, long rowBytes, int n, PreparedVector[] xs,
                               int v, int count, float[] out, int outStride, int row, float[] lanes) {
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
        // Accumulator a of vector k is acc<a><k> for the first row, bcc<a><k> for the second.
        FloatVector acc00 = FloatVector.zero(F);
        FloatVector acc10 = acc00;
        FloatVector acc01 = acc00;
        FloatVector acc11 = acc00;
        FloatVector acc02 = acc00;
        FloatVector acc12 = acc00;
        FloatVector acc03 = acc00;
        FloatVector acc13 = acc00;
        FloatVector bcc00 = acc00;
        FloatVector bcc10 = acc00;
        FloatVector bcc01 = acc00;
        FloatVector bcc11 = acc00;
        FloatVector bcc02 = acc00;
        FloatVector bcc12 = acc00;
        FloatVector bcc03 = acc00;
        FloatVector bcc13 = acc00;
        for (int b = 0, blocks = n / 32; b < blocks; b++) {
            long block = offset + 18L * b;
            float scale = ScalarReference.f16(w, block);
            FloatVector d = FloatVector.broadcast(F, scale);
            FloatVector offset8 = FloatVector.broadcast(F, -8 * scale);
            IntVector qs = IntVector.fromMemorySegment(I128, w, block + 2, LE);
            ByteVector lowBytes = qs.and(0x0F0F0F0F).reinterpretAsBytes();
            ByteVector highBytes = qs.lanewise(VectorOperators.LSHR, 4).and(0x0F0F0F0F).reinterpretAsBytes();
            long next = block + rowBytes;
            float nextScale = ScalarReference.f16(w, next);
            FloatVector nextD = FloatVector.broadcast(F, nextScale);
            FloatVector nextOffset8 = FloatVector.broadcast(F, -8 * nextScale);
            IntVector nextQs = IntVector.fromMemorySegment(I128, w, next + 2, LE);
            ByteVector nextLowBytes = nextQs.and(0x0F0F0F0F).reinterpretAsBytes();
            ByteVector nextHighBytes = nextQs.lanewise(VectorOperators.LSHR, 4).and(0x0F0F0F0F).reinterpretAsBytes();
            for (int p = 0; p < PARTS; p++) {
                int e = 32 * b + p * L;
                FloatVector low = ((FloatVector) lowBytes.convertShape(VectorOperators.B2F, F, p)).fma(d, offset8);
                FloatVector high = ((FloatVector) highBytes.convertShape(VectorOperators.B2F, F, p)).fma(d, offset8);
                FloatVector nextLow = ((FloatVector) nextLowBytes.convertShape(VectorOperators.B2F, F, p))
                        .fma(nextD, nextOffset8);
                FloatVector nextHigh = ((FloatVector) nextHighBytes.convertShape(VectorOperators.B2F, F, p))
                        .fma(nextD, nextOffset8);
                FloatVector x = FloatVector.fromArray(F, x0, o0 + e);
                acc00 = low.fma(x, acc00);
                bcc00 = nextLow.fma(x, bcc00);
                x = FloatVector.fromArray(F, x0, o0 + e + 16);
                acc10 = high.fma(x, acc10);
                bcc10 = nextHigh.fma(x, bcc10);
                x = FloatVector.fromArray(F, x1, o1 + e);
                acc01 = low.fma(x, acc01);
                bcc01 = nextLow.fma(x, bcc01);
                x = FloatVector.fromArray(F, x1, o1 + e + 16);
                acc11 = high.fma(x, acc11);
                bcc11 = nextHigh.fma(x, bcc11);
                x = FloatVector.fromArray(F, x2, o2 + e);
                acc02 = low.fma(x, acc02);
                bcc02 = nextLow.fma(x, bcc02);
                x = FloatVector.fromArray(F, x2, o2 + e + 16);
                acc12 = high.fma(x, acc12);
                bcc12 = nextHigh.fma(x, bcc12);
                x = FloatVector.fromArray(F, x3, o3 + e);
                acc03 = low.fma(x, acc03);
                bcc03 = nextLow.fma(x, bcc03);
                x = FloatVector.fromArray(F, x3, o3 + e + 16);
                acc13 = high.fma(x, acc13);
                bcc13 = nextHigh.fma(x, bcc13);
            }
        }
        acc00.add(acc10).intoArray(lanes, 0);
        acc01.add(acc11).intoArray(lanes, L);
        acc02.add(acc12).intoArray(lanes, 2 * L);
        acc03.add(acc13).intoArray(lanes, 3 * L);
        bcc00.add(bcc10).intoArray(lanes, 4 * L);
        bcc01.add(bcc11).intoArray(lanes, 5 * L);
        bcc02.add(bcc12).intoArray(lanes, 6 * L);
        bcc03.add(bcc13).intoArray(lanes, 7 * L);
        write(lanes, 0, v, count, out, outStride, row);
        write(lanes, 4 * L, v, count, out, outStride, row + 1);
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

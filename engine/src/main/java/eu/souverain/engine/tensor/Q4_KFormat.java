package eu.souverain.engine.tensor;

import static eu.souverain.engine.tensor.KQuantWithMin.highMins;
import static eu.souverain.engine.tensor.KQuantWithMin.highScales;
import static eu.souverain.engine.tensor.KQuantWithMin.scaleAndMin;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/** Q4_K: super-blocks of 256 four-bit quants, scaled and offset per sub-block of 32. */
final class Q4_KFormat extends BlockFormat {

    static final Q4_KFormat INSTANCE = new Q4_KFormat();

    private Q4_KFormat() {
        super(GGMLType.Q4_K);
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
            long block = offset + (long) (i / 256) * 144;
            float d = ScalarReference.f16(w, block);
            float dmin = ScalarReference.f16(w, block + 2);
            for (int j = 0; j < 8; j++) {
                int scaleAndMin = scaleAndMin(w, block + 4, j);
                FloatVector scale = FloatVector.broadcast(F, d * (scaleAndMin & 0xFF));
                FloatVector negMin = FloatVector.broadcast(F, -dmin * (scaleAndMin >>> 8));
                for (int c = 0; c < 32; c += 16) {
                    ByteVector q = IntVector.fromMemorySegment(I128, w, block + 16 + 32 * (j / 2) + c, LE)
                            .lanewise(VectorOperators.LSHR, 4 * (j % 2)).and(0x0F0F0F0F).reinterpretAsBytes();
                    for (int p = 0; p < PARTS; p++) {
                        ((FloatVector) q.convertShape(VectorOperators.B2F, F, p)).fma(scale, negMin)
                                .intoArray(out, o + i + 32 * j + c + p * L);
                    }
                }
            }
        }
    }

    /*
     * The K-quants compute sum_j d*scale_j * (q . x)_j - dmin * sum_j min_j * sum(x)_j. Q4_K
     * decodes each weight as one FMA, q * d*scale_j - dmin*min_j (the reference's two roundings
     * in one), so its minimums cost two broadcasts per pair of sub-blocks instead of a scalar
     * loop over the prepared sums: as fast alone, and the
     * four-vector kernel no longer runs that loop once per vector. At 8 and 4 lanes this kernel
     * still runs out of C2's inlining node budget and boxes its final sum (one 32-byte vector per
     * row; it did before these changes too).
     * Two sub-blocks share each run of quant bytes (low and high nibbles), so each run is
     * widened to ints once for both and split with a mask and a shift; {@link #dotFour}
     * shares the decoded weights between vectors with the same arithmetic. Four accumulators
     * (low and high nibbles of the two runs of a pair) keep the FMA latency off the critical
     * path (four ran faster than two: docs/performance.md, "Measurements behind the kernels").
     */

    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        FloatVector acc2 = acc0;
        FloatVector acc3 = acc0;
        for (int b = 0, blocks = n / 256; b < blocks; b++) {
            long block = offset + 144L * b;
            int i = 256 * b;
            long head = w.get(LONG_LE, block);
            long tail = w.get(LONG_LE, block + 8);
            float d = Float.float16ToFloat((short) head);
            float dmin = Float.float16ToFloat((short) (head >>> 16));
            int bytes0to3 = (int) (head >>> 32);
            int bytes4to7 = (int) tail;
            int bytes8to11 = (int) (tail >>> 32);
            long scales = (bytes0to3 & 0x3F3F3F3FL) | (long) highScales(bytes0to3, bytes8to11) << 32;
            long mins = (bytes4to7 & 0x3F3F3F3FL) | (long) highMins(bytes4to7, bytes8to11) << 32;
            // Pair p: sub-blocks 2p (low nibbles) and 2p + 1 (high nibbles) of qs[32p..32p+31].
            for (int p = 0; p < 4; p++) {
                int pair = (int) (scales >>> 16 * p);
                int pairMins = (int) (mins >>> 16 * p);
                FloatVector scaleLow = FloatVector.broadcast(F, d * (pair & 0xFF));
                FloatVector scaleHigh = FloatVector.broadcast(F, d * ((pair >>> 8) & 0xFF));
                FloatVector minLow = FloatVector.broadcast(F, -dmin * (pairMins & 0xFF));
                FloatVector minHigh = FloatVector.broadcast(F, -dmin * ((pairMins >>> 8) & 0xFF));
                for (int part = 0; part < PARTS; part++) {
                    int xi = xOffset + i + 64 * p + part * L;
                    IntVector q = (IntVector) ByteVector.fromMemorySegment(B128, w, block + 16 + 32 * p, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, part);
                    FloatVector low = ((FloatVector) q.and(0xF).convert(VectorOperators.I2F, 0)).fma(scaleLow, minLow);
                    FloatVector high = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4)
                            .convert(VectorOperators.I2F, 0)).fma(scaleHigh, minHigh);
                    acc0 = low.fma(FloatVector.fromArray(F, x, xi), acc0);
                    acc1 = high.fma(FloatVector.fromArray(F, x, xi + 32), acc1);
                    q = (IntVector) ByteVector.fromMemorySegment(B128, w, block + 32 + 32 * p, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, part);
                    low = ((FloatVector) q.and(0xF).convert(VectorOperators.I2F, 0)).fma(scaleLow, minLow);
                    high = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4)
                            .convert(VectorOperators.I2F, 0)).fma(scaleHigh, minHigh);
                    acc2 = low.fma(FloatVector.fromArray(F, x, xi + 16), acc2);
                    acc3 = high.fma(FloatVector.fromArray(F, x, xi + 48), acc3);
                }
            }
        }
        return Lanes.sum(acc0.add(acc1).add(acc2.add(acc3)));
    }

    /**
     * Q4_K: the weights of each run are decoded (scaled, minimum subtracted) once; each vector
     * keeps four accumulators as {@link #dot} does.
     */
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
        // Accumulator a of vector k is acc<a><k>: the four of dot, for each vector.
        FloatVector acc00 = FloatVector.zero(F);
        FloatVector acc10 = acc00;
        FloatVector acc20 = acc00;
        FloatVector acc30 = acc00;
        FloatVector acc01 = acc00;
        FloatVector acc11 = acc00;
        FloatVector acc21 = acc00;
        FloatVector acc31 = acc00;
        FloatVector acc02 = acc00;
        FloatVector acc12 = acc00;
        FloatVector acc22 = acc00;
        FloatVector acc32 = acc00;
        FloatVector acc03 = acc00;
        FloatVector acc13 = acc00;
        FloatVector acc23 = acc00;
        FloatVector acc33 = acc00;
        for (int b = 0, blocks = n / 256; b < blocks; b++) {
            long block = offset + 144L * b;
            int i = 256 * b;
            long head = w.get(LONG_LE, block);
            long tail = w.get(LONG_LE, block + 8);
            float d = Float.float16ToFloat((short) head);
            float dmin = Float.float16ToFloat((short) (head >>> 16));
            int bytes0to3 = (int) (head >>> 32);
            int bytes4to7 = (int) tail;
            int bytes8to11 = (int) (tail >>> 32);
            long scales = (bytes0to3 & 0x3F3F3F3FL) | (long) highScales(bytes0to3, bytes8to11) << 32;
            long mins = (bytes4to7 & 0x3F3F3F3FL) | (long) highMins(bytes4to7, bytes8to11) << 32;
            for (int p = 0; p < 4; p++) {
                int pair = (int) (scales >>> 16 * p);
                int pairMins = (int) (mins >>> 16 * p);
                FloatVector scaleLow = FloatVector.broadcast(F, d * (pair & 0xFF));
                FloatVector scaleHigh = FloatVector.broadcast(F, d * ((pair >>> 8) & 0xFF));
                FloatVector minLow = FloatVector.broadcast(F, -dmin * (pairMins & 0xFF));
                FloatVector minHigh = FloatVector.broadcast(F, -dmin * ((pairMins >>> 8) & 0xFF));
                for (int part = 0; part < PARTS; part++) {
                    int e = i + 64 * p + part * L;
                    IntVector q = (IntVector) ByteVector.fromMemorySegment(B128, w, block + 16 + 32 * p, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, part);
                    FloatVector low = ((FloatVector) q.and(0xF).convert(VectorOperators.I2F, 0)).fma(scaleLow, minLow);
                    FloatVector high = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4)
                            .convert(VectorOperators.I2F, 0)).fma(scaleHigh, minHigh);
                    acc00 = low.fma(FloatVector.fromArray(F, x0, o0 + e), acc00);
                    acc10 = high.fma(FloatVector.fromArray(F, x0, o0 + e + 32), acc10);
                    acc01 = low.fma(FloatVector.fromArray(F, x1, o1 + e), acc01);
                    acc11 = high.fma(FloatVector.fromArray(F, x1, o1 + e + 32), acc11);
                    acc02 = low.fma(FloatVector.fromArray(F, x2, o2 + e), acc02);
                    acc12 = high.fma(FloatVector.fromArray(F, x2, o2 + e + 32), acc12);
                    acc03 = low.fma(FloatVector.fromArray(F, x3, o3 + e), acc03);
                    acc13 = high.fma(FloatVector.fromArray(F, x3, o3 + e + 32), acc13);
                    q = (IntVector) ByteVector.fromMemorySegment(B128, w, block + 32 + 32 * p, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, part);
                    low = ((FloatVector) q.and(0xF).convert(VectorOperators.I2F, 0)).fma(scaleLow, minLow);
                    high = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4)
                            .convert(VectorOperators.I2F, 0)).fma(scaleHigh, minHigh);
                    acc20 = low.fma(FloatVector.fromArray(F, x0, o0 + e + 16), acc20);
                    acc30 = high.fma(FloatVector.fromArray(F, x0, o0 + e + 48), acc30);
                    acc21 = low.fma(FloatVector.fromArray(F, x1, o1 + e + 16), acc21);
                    acc31 = high.fma(FloatVector.fromArray(F, x1, o1 + e + 48), acc31);
                    acc22 = low.fma(FloatVector.fromArray(F, x2, o2 + e + 16), acc22);
                    acc32 = high.fma(FloatVector.fromArray(F, x2, o2 + e + 48), acc32);
                    acc23 = low.fma(FloatVector.fromArray(F, x3, o3 + e + 16), acc23);
                    acc33 = high.fma(FloatVector.fromArray(F, x3, o3 + e + 48), acc33);
                }
            }
        }
        acc00.add(acc10).add(acc20.add(acc30)).intoArray(lanes, 0);
        acc01.add(acc11).add(acc21.add(acc31)).intoArray(lanes, L);
        acc02.add(acc12).add(acc22.add(acc32)).intoArray(lanes, 2 * L);
        acc03.add(acc13).add(acc23.add(acc33)).intoArray(lanes, 3 * L);
        write(lanes, v, count, out, outStride, row);
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
        long qs = block + 16;
        for (int j = 0; j < 8; j++) {
            int sm = scaleAndMin(data, block + 4, j);
            float scale = d * (sm & 0xFF);
            float min = dmin * (sm >>> 8);
            int shift = (j & 1) * 4;
            for (int l = 0; l < 32; l++) {
                int q = (ScalarReference.u8(data, qs + 32 * (j / 2) + l) >>> shift) & 0xF;
                out[o + 32 * j + l] = scale * q - min;
            }
        }
    }
}

package eu.souverain.engine.tensor;

import static eu.souverain.engine.tensor.WeightFormat.pick;
import static eu.souverain.engine.tensor.WeightFormat.write;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of one stored row with four prepared vectors at once, for a batched decode step:
 * each block of weights is loaded and decoded once into registers and multiplied with the four
 * vectors. Each vector goes through exactly the float operations, in the same order, of the
 * single-vector kernel of the same type in {@link VectorDot}, so its result is bit-identical to
 * that kernel's: a kernel here must change together with its twin there.
 *
 * <p>Each method takes the vectors {@code xs[v..v+3]}; where fewer than four are left
 * ({@code count - v < 4}), the last one is repeated and its result written again, which costs
 * the spare lanes of work but keeps one kernel per type. Results go to
 * {@code out[u * outStride + row]} for each vector u. {@code lanes} is a scratch of 4 * L floats
 * for the final sums (8 * L for two rows), one per thread ({@link #LANES}).
 */
final class FourVectorDot {

    private static final VectorSpecies<Float> F = Lanes.F;
    private static final int L = Lanes.L;
    private static final int PARTS = 16 / L;
    private static final VectorSpecies<Integer> I128 = IntVector.SPECIES_128;
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final VectorSpecies<Short> S = F.withLanes(short.class);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);

    private FourVectorDot() {
    }

    /**
     * Q4_K: the weights of each run are decoded (scaled, minimum subtracted) once; each vector
     * keeps four accumulators as {@link VectorDot#q4K} does.
     */
    static void q4K(MemorySegment w, long offset, int n, PreparedVector[] xs, int v, int count,
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
        // Accumulator a of vector k is acc<a><k>: the four of VectorDot.q4K, for each vector.
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
            long scales = (bytes0to3 & 0x3F3F3F3FL) | (long) KQuantWithMin.highScales(bytes0to3, bytes8to11) << 32;
            long mins = (bytes4to7 & 0x3F3F3F3FL) | (long) KQuantWithMin.highMins(bytes4to7, bytes8to11) << 32;
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

    static void q6K(MemorySegment w, long offset, int n, PreparedVector[] xs, int v, int count,
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
            // The iterations of VectorDot.q6K, in its order.
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
}

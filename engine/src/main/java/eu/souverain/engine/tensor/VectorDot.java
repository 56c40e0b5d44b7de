package eu.souverain.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of one stored row with a float vector, one method per layout, with the Vector API.
 * Each reads the weights straight from the segment and accumulates in float lanes, reducing once
 * at the end of the row.
 */
final class VectorDot {

    private static final VectorSpecies<Float> F = Lanes.F;
    private static final int L = Lanes.L;

    /**
     * 128 bits, 16 quant bytes: every quantized layout stores its quants in runs of 16 or 32 bytes
     * that map to consecutive elements, and 128 bits is the one shape every SIMD CPU has.
     */
    private static final VectorSpecies<Integer> I128 = IntVector.SPECIES_128;
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    private static final int PARTS = 16 / L;

    /** Shorts filling a full vector of F's size, widened to two int (then float) vectors. */
    private static final VectorSpecies<Short> S = F.withLanes(short.class);
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);

    private VectorDot() {
    }

    /*
     * The quantized kernels below are written out in full, one compact loop body each, with no
     * helper method taking or returning a vector but the small sum: C2 compiles a hot helper on
     * its own, then refuses to inline it ("already compiled into a big method") and boxes its
     * vectors, and a long unrolled body runs out of its inlining node budget with the same result
     * (measured: Q6_K at a tenth of the speed, allocating 30 KB per 4096-column row).
     *
     * Quants are loaded 16 bytes at a time as four ints: unpacking nibbles and bit fields needs
     * shifts, which x86 has for 16-bit lanes and wider but not for bytes; shifting whole ints and
     * masking off the bits that crossed into a neighbouring byte does the same in one instruction.
     *
     * Each decoded weight vector is multiplied by its block's scale before the fused multiply-add
     * into the accumulator: one multiply per weight vector instead of a per-block partial sum and
     * an FMA with the scale. Alone that is about as fast, but it lets {@link FourVectorDot} share
     * the scaled weights between four vectors, leaving one FMA per weight vector per vector, which
     * is faster there (docs/performance.md, "Measurements behind the kernels").
     */

    /**
     * Sum over a super-block's sub-blocks j of min_j * (sum of x over sub-block j): what the
     * minimums take off the dot product, from the prepared sums of 32.
     */
    private static float minTerm(int lowMins, int highMins, float[] sums, int run) {
        float total = 0;
        for (int j = 0; j < 4; j++) {
            total += ((lowMins >>> 8 * j) & 0xFF) * sums[run + j];
            total += ((highMins >>> 8 * j) & 0xFF) * sums[run + 4 + j];
        }
        return total;
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
     * widened to ints once for both and split with a mask and a shift; {@link FourVectorDot}
     * shares the decoded weights between vectors with the same arithmetic. Four accumulators
     * (low and high nibbles of the two runs of a pair) keep the FMA latency off the critical
     * path (four ran faster than two: docs/performance.md, "Measurements behind the kernels"). Q5_K, written with
     * two sub-blocks per run, was faster with 16 lanes but ran out of C2's inlining node budget
     * with 8 (its final sum's vector boxed, slower than before): it takes one sub-block at a
     * time, reloading the runs, and takes its minimums from the prepared sums.
     */

    static float q4K(MemorySegment w, long offset, float[] x, int xOffset, int n) {
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
            long scales = (bytes0to3 & 0x3F3F3F3FL) | (long) KQuantWithMin.highScales(bytes0to3, bytes8to11) << 32;
            long mins = (bytes4to7 & 0x3F3F3F3FL) | (long) KQuantWithMin.highMins(bytes4to7, bytes8to11) << 32;
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

    static float q5K(MemorySegment w, long offset, float[] x, int xOffset, float[] sums, int n) {
        FloatVector acc = FloatVector.zero(F);
        float mins = 0;
        for (int i = 0; i < n; i += 256) {
            long block = offset + (long) (i / 256) * 176;
            // The 16 header bytes in two reads: every segment access C2 inlines spends its
            // node budget, and running out of it left the final sum's vector boxed.
            long head = w.get(LONG_LE, block);
            long tail = w.get(LONG_LE, block + 8);
            float d = Float.float16ToFloat((short) head);
            float dmin = Float.float16ToFloat((short) (head >>> 16));
            int bytes0to3 = (int) (head >>> 32);
            int bytes4to7 = (int) tail;
            int bytes8to11 = (int) (tail >>> 32);
            int lowScales = bytes0to3 & 0x3F3F3F3F;
            int highScales = KQuantWithMin.highScales(bytes0to3, bytes8to11);
            mins += dmin * minTerm(bytes4to7 & 0x3F3F3F3F, KQuantWithMin.highMins(bytes4to7, bytes8to11), sums, i / 32);
            // Sub-block j = 2p + s: nibble s of qs[32p..32p+31], fifth bit (16) in bit j of qh[l].
            for (int j = 0; j < 8; j++) {
                int p = j / 2;
                int s = j % 2;
                int scale = ((p < 2 ? lowScales : highScales) >>> 8 * (j % 4)) & 0xFF;
                FloatVector sum = FloatVector.zero(F);
                for (int c = 0; c < 32; c += 16) {
                    IntVector qs = IntVector.fromMemorySegment(I128, w, block + 48 + 32 * p + c, LE);
                    IntVector qh = IntVector.fromMemorySegment(I128, w, block + 16 + c, LE);
                    ByteVector q = qs.lanewise(VectorOperators.LSHR, 4 * s).and(0x0F0F0F0F)
                            .or(qh.lanewise(VectorOperators.LSHR, j).lanewise(VectorOperators.LSHL, 4).and(0x10101010))
                            .reinterpretAsBytes();
                    for (int part = 0; part < PARTS; part++) {
                        sum = ((FloatVector) q.convertShape(VectorOperators.B2F, F, part))
                                .fma(FloatVector.fromArray(F, x, xOffset + i + 32 * j + c + part * L), sum);
                    }
                }
                acc = sum.fma(FloatVector.broadcast(F, d * scale), acc);
            }
        }
        return Lanes.sum(acc) - mins;
    }

    /*
     * Q6_K has no minimum but sixteen signed scales, one per 16 elements: sum_k d*scale_k * (q . x)_k.
     * Groups g and g + 2 of a half take the low and high nibbles of the same ql bytes, so each
     * 16-byte run of ql (and of qh) is loaded once for both, in a loop over the nibble small
     * enough for C2 to parse: with both groups written out, it ran out of its inlining node
     * budget before the final sum and boxed that vector on every call. A flat loop over the
     * runs of all super-blocks, re-reading d on each, was a sixth slower.
     */

    static float q6K(MemorySegment w, long offset, float[] x, int xOffset, int n) {
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
}

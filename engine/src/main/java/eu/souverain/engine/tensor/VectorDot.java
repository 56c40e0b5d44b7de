package eu.souverain.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of one stored row with a float vector, one method per layout, with the Vector API.
 * Each reads the weights straight from the segment and accumulates in float lanes, reducing once
 * at the end of the row.
 */
final class VectorDot {

    /**
     * The widest float vector the CPU has (8 lanes with AVX2, 16 with AVX-512, 4 with NEON), since
     * every kernel's arithmetic is in float lanes. Capped at 16 lanes because the quantized
     * kernels widen 16 bytes at a time into 16 / lanes float vectors.
     */
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.length() <= 16
            ? FloatVector.SPECIES_PREFERRED
            : FloatVector.SPECIES_512;
    static final int L = F.length();

    /**
     * 16 bytes: every quantized layout stores its quants in runs of 16 or 32 bytes that map to
     * consecutive elements, and 128 bits is the one byte shape every SIMD CPU has.
     */
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final int PARTS = 16 / L;

    /** Shorts filling a full vector of F's size, widened to two int (then float) vectors. */
    private static final VectorSpecies<Short> S = F.withLanes(short.class);
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private VectorDot() {
    }

    static float f32(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            FloatVector wv = FloatVector.fromMemorySegment(F, w, offset + 4L * i, LE);
            acc = wv.fma(FloatVector.fromArray(F, x, xOffset + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += w.get(ScalarReference.FLOAT_LE, offset + 4L * i) * x[xOffset + i];
        }
        return sum;
    }

    static float f16(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        int step = S.length();
        int i = 0;
        for (int bound = n - n % step; i < bound; i += step) {
            ShortVector h = ShortVector.fromMemorySegment(S, w, offset + 2L * i, LE);
            acc = f16ToFloat((IntVector) h.convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0))
                    .fma(FloatVector.fromArray(F, x, xOffset + i), acc);
            acc = f16ToFloat((IntVector) h.convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 1))
                    .fma(FloatVector.fromArray(F, x, xOffset + i + L), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += ScalarReference.f16(w, offset + 2L * i) * x[xOffset + i];
        }
        return sum;
    }

    /**
     * Half-precision bits (zero-extended) to floats: shifting exponent and mantissa into float
     * position and multiplying by 2^112 rebiases the exponent (15 to 127) and normalizes
     * subnormals in one step; infinities and NaNs get the all-ones float exponent instead.
     */
    private static FloatVector f16ToFloat(IntVector h) {
        IntVector magnitude = h.and(0x7FFF);
        IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
        FloatVector finite = shifted.reinterpretAsFloats().mul(0x1p112f);
        VectorMask<Integer> special = magnitude.compare(VectorOperators.GE, 0x7C00);
        IntVector bits = finite.reinterpretAsInts().blend(shifted.or(0x7F800000), special);
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    static float bf16(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        int step = S.length();
        int i = 0;
        for (int bound = n - n % step; i < bound; i += step) {
            ShortVector h = ShortVector.fromMemorySegment(S, w, offset + 2L * i, LE);
            FloatVector lo = ((IntVector) h.convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector hi = ((IntVector) h.convertShape(VectorOperators.S2I, I, 1))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            acc = lo.fma(FloatVector.fromArray(F, x, xOffset + i), acc);
            acc = hi.fma(FloatVector.fromArray(F, x, xOffset + i + L), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += ScalarReference.bf16(w.get(ScalarReference.SHORT_LE, offset + 2L * i)) * x[xOffset + i];
        }
        return sum;
    }

    /** Sum over 16 elements of q[i] * x[xOffset + i], q given as 16 signed byte lanes, added to acc. */
    private static FloatVector dot16(ByteVector q, float[] x, int xOffset, FloatVector acc) {
        for (int p = 0; p < PARTS; p++) {
            FloatVector qf = (FloatVector) q.convertShape(VectorOperators.B2F, F, p);
            acc = qf.fma(FloatVector.fromArray(F, x, xOffset + p * L), acc);
        }
        return acc;
    }

    /** Adds (q[i] * scale - min) * x[xOffset + i] over 16 elements to acc. */
    private static FloatVector dot16(ByteVector q, FloatVector scale, FloatVector negMin,
                                     float[] x, int xOffset, FloatVector acc) {
        for (int p = 0; p < PARTS; p++) {
            FloatVector qf = (FloatVector) q.convertShape(VectorOperators.B2F, F, p);
            acc = qf.fma(scale, negMin).fma(FloatVector.fromArray(F, x, xOffset + p * L), acc);
        }
        return acc;
    }

    static float q8_0(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < n; i += 32) {
            long block = offset + (long) (i / 32) * 34;
            FloatVector sum = FloatVector.zero(F);
            sum = dot16(ByteVector.fromMemorySegment(B16, w, block + 2, LE), x, xOffset + i, sum);
            sum = dot16(ByteVector.fromMemorySegment(B16, w, block + 18, LE), x, xOffset + i + 16, sum);
            acc = sum.fma(FloatVector.broadcast(F, ScalarReference.f16(w, block)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    static float q4_0(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < n; i += 32) {
            long block = offset + (long) (i / 32) * 18;
            ByteVector qs = ByteVector.fromMemorySegment(B16, w, block + 2, LE);
            FloatVector sum = FloatVector.zero(F);
            sum = dot16(qs.and((byte) 0xF).sub((byte) 8), x, xOffset + i, sum);
            sum = dot16(qs.lanewise(VectorOperators.LSHR, 4).sub((byte) 8), x, xOffset + i + 16, sum);
            acc = sum.fma(FloatVector.broadcast(F, ScalarReference.f16(w, block)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    static float q4K(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < n; i += 256) {
            long block = offset + (long) (i / 256) * 144;
            float d = ScalarReference.f16(w, block);
            float dmin = ScalarReference.f16(w, block + 2);
            long qs = block + 16;
            for (int pair = 0; pair < 4; pair++) {
                int smLow = ScalarReference.scaleAndMin(w, block + 4, 2 * pair);
                int smHigh = ScalarReference.scaleAndMin(w, block + 4, 2 * pair + 1);
                FloatVector scaleLow = FloatVector.broadcast(F, d * (smLow & 0xFF));
                FloatVector negMinLow = FloatVector.broadcast(F, -dmin * (smLow >>> 8));
                FloatVector scaleHigh = FloatVector.broadcast(F, d * (smHigh & 0xFF));
                FloatVector negMinHigh = FloatVector.broadcast(F, -dmin * (smHigh >>> 8));
                int xi = xOffset + i + 64 * pair;
                for (int c = 0; c < 32; c += 16) {
                    ByteVector q = ByteVector.fromMemorySegment(B16, w, qs + 32 * pair + c, LE);
                    acc = dot16(q.and((byte) 0xF), scaleLow, negMinLow, x, xi + c, acc);
                    acc = dot16(q.lanewise(VectorOperators.LSHR, 4), scaleHigh, negMinHigh, x, xi + 32 + c, acc);
                }
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    static float q5K(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < n; i += 256) {
            long block = offset + (long) (i / 256) * 176;
            float d = ScalarReference.f16(w, block);
            float dmin = ScalarReference.f16(w, block + 2);
            long qh = block + 16;
            long qs = block + 48;
            for (int pair = 0; pair < 4; pair++) {
                int smLow = ScalarReference.scaleAndMin(w, block + 4, 2 * pair);
                int smHigh = ScalarReference.scaleAndMin(w, block + 4, 2 * pair + 1);
                FloatVector scaleLow = FloatVector.broadcast(F, d * (smLow & 0xFF));
                FloatVector negMinLow = FloatVector.broadcast(F, -dmin * (smLow >>> 8));
                FloatVector scaleHigh = FloatVector.broadcast(F, d * (smHigh & 0xFF));
                FloatVector negMinHigh = FloatVector.broadcast(F, -dmin * (smHigh >>> 8));
                int xi = xOffset + i + 64 * pair;
                for (int c = 0; c < 32; c += 16) {
                    ByteVector q = ByteVector.fromMemorySegment(B16, w, qs + 32 * pair + c, LE);
                    ByteVector h = ByteVector.fromMemorySegment(B16, w, qh + c, LE);
                    // Bit j of qh[l] is the fifth bit of element l in sub-block j = 2*pair (+1).
                    ByteVector hLow = h.lanewise(VectorOperators.LSHR, 2 * pair).and((byte) 1).lanewise(VectorOperators.LSHL, 4);
                    ByteVector hHigh = h.lanewise(VectorOperators.LSHR, 2 * pair + 1).and((byte) 1).lanewise(VectorOperators.LSHL, 4);
                    acc = dot16(q.and((byte) 0xF).or(hLow), scaleLow, negMinLow, x, xi + c, acc);
                    acc = dot16(q.lanewise(VectorOperators.LSHR, 4).or(hHigh), scaleHigh, negMinHigh, x, xi + 32 + c, acc);
                }
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    static float q6K(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < n; i += 256) {
            long block = offset + (long) (i / 256) * 210;
            float d = ScalarReference.f16(w, block + 208);
            long scales = block + 192;
            for (int half = 0; half < 2; half++) {
                long ql = block + 64 * half;
                long qh = block + 128 + 32 * half;
                int xi = xOffset + i + 128 * half;
                for (int c = 0; c < 32; c += 16) {
                    ByteVector a = ByteVector.fromMemorySegment(B16, w, ql + c, LE);
                    ByteVector b = ByteVector.fromMemorySegment(B16, w, ql + 32 + c, LE);
                    ByteVector h = ByteVector.fromMemorySegment(B16, w, qh + c, LE);
                    ByteVector q1 = a.and((byte) 0xF).or(h.and((byte) 3).lanewise(VectorOperators.LSHL, 4));
                    ByteVector q2 = b.and((byte) 0xF).or(h.lanewise(VectorOperators.LSHR, 2).and((byte) 3).lanewise(VectorOperators.LSHL, 4));
                    ByteVector q3 = a.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHR, 4).and((byte) 3).lanewise(VectorOperators.LSHL, 4));
                    ByteVector q4 = b.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHR, 6).lanewise(VectorOperators.LSHL, 4));
                    // Each 16-element run has one scale: scales[e / 16] for its first element e.
                    int s = 8 * half + c / 16;
                    acc = dot16(q1.sub((byte) 32), x, xi + c, FloatVector.zero(F))
                            .fma(FloatVector.broadcast(F, d * scale(w, scales, s)), acc);
                    acc = dot16(q2.sub((byte) 32), x, xi + 32 + c, FloatVector.zero(F))
                            .fma(FloatVector.broadcast(F, d * scale(w, scales, s + 2)), acc);
                    acc = dot16(q3.sub((byte) 32), x, xi + 64 + c, FloatVector.zero(F))
                            .fma(FloatVector.broadcast(F, d * scale(w, scales, s + 4)), acc);
                    acc = dot16(q4.sub((byte) 32), x, xi + 96 + c, FloatVector.zero(F))
                            .fma(FloatVector.broadcast(F, d * scale(w, scales, s + 6)), acc);
                }
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static byte scale(MemorySegment w, long scales, int index) {
        return w.get(ValueLayout.JAVA_BYTE, scales + index);
    }
}

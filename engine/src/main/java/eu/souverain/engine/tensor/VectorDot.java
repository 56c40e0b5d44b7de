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
import jdk.incubator.vector.VectorShuffle;
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

    /** F's lanes rotated by 8, 4, 2 and 1 for {@link #sum}: constants, so each is one permute. */
    private static final VectorShuffle<Float> ROTATE_8 = VectorShuffle.iota(F, 8, 1, true);
    private static final VectorShuffle<Float> ROTATE_4 = VectorShuffle.iota(F, 4, 1, true);
    private static final VectorShuffle<Float> ROTATE_2 = VectorShuffle.iota(F, 2, 1, true);
    private static final VectorShuffle<Float> ROTATE_1 = VectorShuffle.iota(F, 1, 1, true);

    private VectorDot() {
    }

    /**
     * The sum of the lanes of {@code v} (of species F) in one fixed order, a tree: lane i plus lane
     * i + L/2 for each i of the first half, then the same over that half, down to lane 0. Not
     * reduceLanes(ADD), whose order is unspecified: C2's intrinsic adds in another order than the
     * Java code that runs before a method is compiled, so a seeded run gave different logits
     * depending on the JIT's timing. Compiled, this is as fast as the intrinsic, and small enough
     * for C2 to inline into every kernel.
     */
    static float sum(FloatVector v) {
        FloatVector s = v;
        if (L > 8) {
            s = s.add(s.rearrange(ROTATE_8));
        }
        if (L > 4) {
            s = s.add(s.rearrange(ROTATE_4));
        }
        if (L > 2) {
            s = s.add(s.rearrange(ROTATE_2));
        }
        if (L > 1) {
            s = s.add(s.rearrange(ROTATE_1));
        }
        return s.lane(0);
    }

    static float f32(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            FloatVector wv = FloatVector.fromMemorySegment(F, w, offset + 4L * i, LE);
            acc = wv.fma(FloatVector.fromArray(F, x, xOffset + i), acc);
        }
        float sum = sum(acc);
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
            ShortVector halves = ShortVector.fromMemorySegment(S, w, offset + 2L * i, LE);
            for (int part = 0; part < 2; part++) {
                // Exponent and mantissa shifted into float position, times 2^112, rebias the
                // exponent (15 to 127) and normalize subnormals in one step; infinities and NaNs
                // get the all-ones float exponent instead. Measured on one AVX-512 core: 16 GB/s
                // of weights, against 2.4 GB/s for a scalar Float.float16ToFloat loop and 3.4 GB/s
                // converting 64 at a time into a buffer for a vector dot.
                IntVector h = (IntVector) halves.convertShape(VectorOperators.ZERO_EXTEND_S2I, I, part);
                IntVector magnitude = h.and(0x7FFF);
                IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
                IntVector finite = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
                VectorMask<Integer> special = magnitude.compare(VectorOperators.GE, 0x7C00);
                FloatVector value = finite.blend(shifted.or(0x7F800000), special)
                        .or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16))
                        .reinterpretAsFloats();
                acc = value.fma(FloatVector.fromArray(F, x, xOffset + i + part * L), acc);
            }
        }
        float sum = sum(acc);
        for (; i < n; i++) {
            sum += ScalarReference.f16(w, offset + 2L * i) * x[xOffset + i];
        }
        return sum;
    }

    static float bf16(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        int step = S.length();
        int i = 0;
        for (int bound = n - n % step; i < bound; i += step) {
            ShortVector halves = ShortVector.fromMemorySegment(S, w, offset + 2L * i, LE);
            for (int part = 0; part < 2; part++) {
                FloatVector value = ((IntVector) halves.convertShape(VectorOperators.S2I, I, part))
                        .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
                acc = value.fma(FloatVector.fromArray(F, x, xOffset + i + part * L), acc);
            }
        }
        float sum = sum(acc);
        for (; i < n; i++) {
            sum += ScalarReference.bf16(w.get(ScalarReference.SHORT_LE, offset + 2L * i)) * x[xOffset + i];
        }
        return sum;
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
     */

    static float q8_0(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < n; i += 32) {
            long block = offset + (long) (i / 32) * 34;
            FloatVector sum = FloatVector.zero(F);
            for (int c = 0; c < 32; c += 16) {
                ByteVector q = ByteVector.fromMemorySegment(B128, w, block + 2 + c, LE);
                for (int p = 0; p < PARTS; p++) {
                    FloatVector qf = (FloatVector) q.convertShape(VectorOperators.B2F, F, p);
                    sum = qf.fma(FloatVector.fromArray(F, x, xOffset + i + c + p * L), sum);
                }
            }
            acc = sum.fma(FloatVector.broadcast(F, ScalarReference.f16(w, block)), acc);
        }
        return sum(acc);
    }

    static float q4_0(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < n; i += 32) {
            long block = offset + (long) (i / 32) * 18;
            IntVector qs = IntVector.fromMemorySegment(I128, w, block + 2, LE);
            FloatVector sum = FloatVector.zero(F);
            // Low nibbles are elements 0..15, high nibbles 16..31.
            for (int half = 0; half < 2; half++) {
                ByteVector q = qs.lanewise(VectorOperators.LSHR, 4 * half).and(0x0F0F0F0F)
                        .reinterpretAsBytes().sub((byte) 8);
                for (int p = 0; p < PARTS; p++) {
                    FloatVector qf = (FloatVector) q.convertShape(VectorOperators.B2F, F, p);
                    sum = qf.fma(FloatVector.fromArray(F, x, xOffset + i + 16 * half + p * L), sum);
                }
            }
            acc = sum.fma(FloatVector.broadcast(F, ScalarReference.f16(w, block)), acc);
        }
        return sum(acc);
    }

    static float q4K(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < n; i += 256) {
            long block = offset + (long) (i / 256) * 144;
            float d = ScalarReference.f16(w, block);
            float dmin = ScalarReference.f16(w, block + 2);
            for (int j = 0; j < 8; j++) {
                // Sub-block j: quants in the low (even j) or high (odd j) nibbles of qs[32*(j/2)..].
                int scaleAndMin = ScalarReference.scaleAndMin(w, block + 4, j);
                FloatVector scale = FloatVector.broadcast(F, d * (scaleAndMin & 0xFF));
                FloatVector negMin = FloatVector.broadcast(F, -dmin * (scaleAndMin >>> 8));
                for (int c = 0; c < 32; c += 16) {
                    ByteVector q = IntVector.fromMemorySegment(I128, w, block + 16 + 32 * (j / 2) + c, LE)
                            .lanewise(VectorOperators.LSHR, 4 * (j % 2)).and(0x0F0F0F0F).reinterpretAsBytes();
                    for (int p = 0; p < PARTS; p++) {
                        FloatVector qf = (FloatVector) q.convertShape(VectorOperators.B2F, F, p);
                        acc = qf.fma(scale, negMin).fma(FloatVector.fromArray(F, x, xOffset + i + 32 * j + c + p * L), acc);
                    }
                }
            }
        }
        return sum(acc);
    }

    static float q5K(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < n; i += 256) {
            long block = offset + (long) (i / 256) * 176;
            float d = ScalarReference.f16(w, block);
            float dmin = ScalarReference.f16(w, block + 2);
            for (int j = 0; j < 8; j++) {
                int scaleAndMin = ScalarReference.scaleAndMin(w, block + 4, j);
                FloatVector scale = FloatVector.broadcast(F, d * (scaleAndMin & 0xFF));
                FloatVector negMin = FloatVector.broadcast(F, -dmin * (scaleAndMin >>> 8));
                for (int c = 0; c < 32; c += 16) {
                    IntVector low = IntVector.fromMemorySegment(I128, w, block + 48 + 32 * (j / 2) + c, LE)
                            .lanewise(VectorOperators.LSHR, 4 * (j % 2)).and(0x0F0F0F0F);
                    // Bit j of qh[l] is the fifth bit (16) of element l of sub-block j.
                    IntVector fifth = IntVector.fromMemorySegment(I128, w, block + 16 + c, LE)
                            .lanewise(VectorOperators.LSHR, j).and(0x01010101).lanewise(VectorOperators.LSHL, 4);
                    ByteVector q = low.or(fifth).reinterpretAsBytes();
                    for (int p = 0; p < PARTS; p++) {
                        FloatVector qf = (FloatVector) q.convertShape(VectorOperators.B2F, F, p);
                        acc = qf.fma(scale, negMin).fma(FloatVector.fromArray(F, x, xOffset + i + 32 * j + c + p * L), acc);
                    }
                }
            }
        }
        return sum(acc);
    }

    static float q6K(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < n; i += 256) {
            long block = offset + (long) (i / 256) * 210;
            float d = ScalarReference.f16(w, block + 208);
            for (int k = 0; k < 16; k++) {
                // Run k of 16 elements (scale k) lies in half h, group g, at l = c..c+15: low 4
                // bits in nibble g/2 of ql[64h + 32*(g%2) + l], high 2 bits in bits 2g..2g+1 of qh[32h + l].
                int h = k / 8;
                int g = (k / 2) % 4;
                int c = 16 * (k % 2);
                IntVector low = IntVector.fromMemorySegment(I128, w, block + 64 * h + 32 * (g % 2) + c, LE)
                        .lanewise(VectorOperators.LSHR, 4 * (g / 2)).and(0x0F0F0F0F);
                IntVector high = IntVector.fromMemorySegment(I128, w, block + 128 + 32 * h + c, LE)
                        .lanewise(VectorOperators.LSHR, 2 * g).and(0x03030303).lanewise(VectorOperators.LSHL, 4);
                ByteVector q = low.or(high).reinterpretAsBytes().sub((byte) 32);
                FloatVector sum = FloatVector.zero(F);
                for (int p = 0; p < PARTS; p++) {
                    FloatVector qf = (FloatVector) q.convertShape(VectorOperators.B2F, F, p);
                    sum = qf.fma(FloatVector.fromArray(F, x, xOffset + i + 16 * k + p * L), sum);
                }
                float scale = d * w.get(ValueLayout.JAVA_BYTE, block + 192 + k);
                acc = sum.fma(FloatVector.broadcast(F, scale), acc);
            }
        }
        return sum(acc);
    }
}

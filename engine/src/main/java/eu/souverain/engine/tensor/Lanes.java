package eu.souverain.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float vector shape every kernel computes in, and the one fixed order in which the lanes of
 * an accumulator are added up, whether in a register ({@link #sum}) or stored ({@link #sumLanes},
 * sixteen at once in {@link LaneSums}).
 */
final class Lanes {

    /**
     * The widest float vector the CPU has (8 lanes with AVX2, 16 with AVX-512, 4 with NEON), since
     * every kernel's arithmetic is in float lanes. Capped at 16 lanes because the quantized
     * kernels widen 16 bytes at a time into 16 / lanes float vectors.
     */
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.length() <= 16
            ? FloatVector.SPECIES_PREFERRED
            : FloatVector.SPECIES_512;
    static final int L = F.length();

    /** F's lanes rotated by 8, 4, 2 and 1 for {@link #sum}: constants, so each is one permute. */
    private static final VectorShuffle<Float> ROTATE_8 = VectorShuffle.iota(F, 8, 1, true);
    private static final VectorShuffle<Float> ROTATE_4 = VectorShuffle.iota(F, 4, 1, true);
    private static final VectorShuffle<Float> ROTATE_2 = VectorShuffle.iota(F, 2, 1, true);
    private static final VectorShuffle<Float> ROTATE_1 = VectorShuffle.iota(F, 1, 1, true);

    private Lanes() {
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

    /** The lanes at {@code a[o..o+L)} added as a tree, overwriting them. */
    static float sumLanes(float[] a, int o) {
        for (int half = L / 2; half > 0; half >>= 1) {
            for (int i = 0; i < half; i++) {
                a[o + i] += a[o + i + half];
            }
        }
        return a[o];
    }
}

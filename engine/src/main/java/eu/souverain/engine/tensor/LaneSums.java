package eu.souverain.engine.tensor;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sums of the lanes of the sixteen accumulators of a {@link BlockMatmul} tile at once, each
 * in the one fixed order of {@link Lanes#sum}: lane i plus lane i + L/2 for each i of the
 * first half, then the same over that half, down to lane 0. Summed one at a time, from their
 * stored lanes as scalars, they took a sixth of a prompt's time, and one {@link Lanes#sum}
 * each was still slower than this (docs/performance.md, "Measurements behind the kernels").
 *
 * <p>Each level adds the upper half of every segment of lanes to its lower half, two vectors at
 * a time: the first vector's sums go to the lower halves, the second's to the upper ones, so the
 * vectors halve and so do the segments, each segment holding one accumulator. The operands of
 * every addition are those of the scalar tree (a + b is b + a exactly), so the sums are the same
 * bits. Sixteen accumulators fill every lane of the last vectors at any width up to 16 lanes.
 */
final class LaneSums {

    private static final VectorSpecies<Float> F = Lanes.F;
    private static final int L = Lanes.L;

    /*
     * Level k works on segments of s = L >> k lanes: SECOND_HALVES[k] marks the upper half of
     * each segment; PARTNERS[k] brings each lane of a lower half the lane half a segment away,
     * from the first vector, and each lane of an upper half its partner from the second vector
     * (an exceptional, negative index).
     */
    private static final VectorMask<Float>[] SECOND_HALVES;
    private static final VectorShuffle<Float>[] PARTNERS;

    /** Where {@link #sum16} leaves accumulator i's sum, from the offset given. */
    static final int[] SLOT_OF_16 = slots();

    static {
        int levels = Integer.numberOfTrailingZeros(L);
        @SuppressWarnings("unchecked")
        VectorMask<Float>[] masks = new VectorMask[levels];
        @SuppressWarnings("unchecked")
        VectorShuffle<Float>[] partners = new VectorShuffle[levels];
        for (int level = 0, s = L; level < levels; level++, s /= 2) {
            boolean[] upper = new boolean[L];
            int[] partner = new int[L];
            for (int lane = 0; lane < L; lane++) {
                upper[lane] = lane % s >= s / 2;
                partner[lane] = upper[lane] ? lane - s / 2 - L : lane + s / 2;
            }
            masks[level] = VectorMask.fromArray(F, upper, 0);
            partners[level] = VectorShuffle.fromArray(F, partner, 0);
        }
        SECOND_HALVES = masks;
        PARTNERS = partners;
    }

    private LaneSums() {
    }

    /** The sixteen accumulators at {@code a[o + i * L..)}; sum i left at {@code a[o + SLOT_OF_16[i]]}. */
    static void sum16(float[] a, int o) {
        for (int level = 0, count = 16; level < SECOND_HALVES.length; level++) {
            count /= 2;
            for (int j = 0; j < count; j++) {
                FloatVector first = FloatVector.fromArray(F, a, o + 2 * j * L);
                FloatVector second = FloatVector.fromArray(F, a, o + (2 * j + 1) * L);
                first.blend(second, SECOND_HALVES[level])
                        .add(first.rearrange(PARTNERS[level], second))
                        .intoArray(a, o + j * L);
            }
        }
    }

    /** Follows each accumulator's lanes through the levels of {@link #sum16}. */
    private static int[] slots() {
        int[][] owner = new int[16][L];
        for (int i = 0; i < 16; i++) {
            Arrays.fill(owner[i], i);
        }
        for (int s = L; s > 1; s /= 2) {
            int[][] next = new int[owner.length / 2][L];
            for (int j = 0; j < next.length; j++) {
                for (int lane = 0; lane < L; lane++) {
                    next[j][lane] = lane % s >= s / 2 ? owner[2 * j + 1][lane] : owner[2 * j][lane];
                }
            }
            owner = next;
        }
        int[] slot = new int[16];
        for (int j = 0; j < owner.length; j++) {
            for (int lane = 0; lane < L; lane++) {
                slot[owner[j][lane]] = j * L + lane;
            }
        }
        return slot;
    }
}

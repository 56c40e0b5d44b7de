package eu.souverain.engine.tensor;

import jdk.incubator.vector.FloatVector;

/**
 * A float vector made ready once for every matrix product that reads it: the values, and the sum
 * of each run of 32 of them. The Q5_K kernel needs those sums for its sub-block
 * minimums: min * sum(x) once per 32 elements instead of a subtraction per element. A model's
 * state holds one and prepares it before each matrix product, so decoding allocates nothing.
 * Not thread-safe to prepare; once prepared, any number of threads may read it.
 */
public final class PreparedVector {

    /** Elements per sum: the K-quants' sub-block size. */
    static final int RUN = 32;

    private final float[] sums;
    private float[] values;
    private int offset;
    private int length;

    /** A vector that can hold up to {@code capacity} elements. */
    public PreparedVector(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive, was " + capacity);
        }
        sums = new float[capacity / RUN];
    }

    /** A vector prepared from {@code x[offset..offset+length)}. */
    public static PreparedVector of(float[] x, int offset, int length) {
        PreparedVector prepared = new PreparedVector(length);
        prepared.prepare(x, offset, length);
        return prepared;
    }

    /**
     * Makes this the vector {@code x[offset..offset+length)}. Keeps a reference to {@code x}: the
     * caller must not change those elements while matrix products read them.
     */
    public void prepare(float[] x, int offset, int length) {
        if (length / RUN > sums.length) {
            throw new IllegalArgumentException(length + " elements exceed this vector's capacity of "
                    + sums.length * RUN);
        }
        if (offset < 0 || length <= 0 || offset + length > x.length) {
            throw new IndexOutOfBoundsException("elements [" + offset + ", " + (offset + length)
                    + ") of an array of " + x.length);
        }
        this.values = x;
        this.offset = offset;
        this.length = length;
        if (VectorWarmUp.cold(length, length)) {
            ScalarKernels.runSums(x, offset, length, sums);
        } else {
            vectorSums(x, offset, length, sums);
        }
    }

    /** {@code sums[r]} = the sum of run r of {@code x[offset..offset+length)}, its lanes added as a tree. */
    static void vectorSums(float[] x, int offset, int length, float[] sums) {
        int step = Lanes.L;
        for (int run = 0; run < length / RUN; run++) {
            FloatVector sum = FloatVector.zero(Lanes.F);
            for (int i = run * RUN; i < (run + 1) * RUN; i += step) {
                sum = sum.add(FloatVector.fromArray(Lanes.F, x, offset + i));
            }
            sums[run] = Lanes.sum(sum);
        }
    }

    public int length() {
        return length;
    }

    float[] values() {
        return values;
    }

    int offset() {
        return offset;
    }

    /** The sums of runs [0, length / 32): sums[r] = x[32r] + ... + x[32r + 31]. */
    float[] sums() {
        return sums;
    }
}

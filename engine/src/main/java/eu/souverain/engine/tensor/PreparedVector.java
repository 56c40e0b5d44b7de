package eu.souverain.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A float vector made ready once for every matrix product that reads it: the values, the sum of
 * each run of 32 of them, and the vector quantized to 8 bits per run of 32. The Q5_K kernel needs
 * the sums for its sub-block minimums: min * sum(x) once per 32 elements instead of a subtraction
 * per element. The tiled formats (Q4_0, Q4_K, Q6_K) multiply their weights with the 8-bit
 * quants in integers ({@link TiledFormat}). A model's state holds one and prepares it before each
 * matrix product, so decoding allocates nothing. Not thread-safe to prepare; once prepared, any
 * number of threads may read it.
 */
public final class PreparedVector {

    /** Elements per sum: the K-quants' sub-block size. */
    static final int RUN = 32;

    /** Shorts as many as the float lanes, for the quants of one float vector. */
    private static final VectorSpecies<Short> QUANTS =
            VectorSpecies.of(short.class, VectorShape.forBitSize(Lanes.F.vectorBitSize() / 2));

    private final float[] sums;
    private final short[] quants;
    private final float[] quantScales;
    private final short[] quantOffsets;
    private float[] values;
    private int offset;
    private int length;

    /** A vector that can hold up to {@code capacity} elements. */
    public PreparedVector(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive, was " + capacity);
        }
        sums = new float[capacity / RUN];
        quants = new short[capacity / RUN * RUN];
        quantScales = new float[capacity / RUN];
        quantOffsets = new short[capacity / RUN];
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
        if (VectorWarmUp.cold(length, 2L * length)) {
            ScalarKernels.runSums(x, offset, length, sums);
            ScalarKernels.quantizeRuns(x, offset, length / RUN, quants, quantScales, quantOffsets);
        } else {
            vectorSums(x, offset, length, sums);
            vectorQuantize(x, offset, length / RUN, quants, quantScales, quantOffsets);
        }
    }

    /**
     * Each run as llama.cpp's Q8_0 stores activations: a scale d = max |x| / 127 and quants
     * q = x / d rounded half away from zero, in -127..127, so x = q * d up to half a step. Kept as
     * shorts, the lanes the tiled kernels multiply in ({@link TiledFormat}), with 8 * sum(q), at
     * most 32,512 in magnitude, for their offsets. The same bits as {@link
     * ScalarKernels#quantizeRuns}, which runs while this is not compiled yet.
     */
    static void vectorQuantize(float[] x, int offset, int runs, short[] quants, float[] scales, short[] offsets) {
        for (int run = 0; run < runs; run++) {
            int from = offset + run * RUN;
            FloatVector max = FloatVector.zero(Lanes.F);
            for (int i = 0; i < RUN; i += Lanes.L) {
                max = max.max(FloatVector.fromArray(Lanes.F, x, from + i).abs());
            }
            float d = max.reduceLanes(VectorOperators.MAX) / 127;
            float inverse = d == 0 ? 0 : 1 / d;
            int sum = 0;
            for (int i = 0; i < RUN; i += Lanes.L) {
                FloatVector y = FloatVector.fromArray(Lanes.F, x, from + i).mul(inverse);
                FloatVector half = FloatVector.broadcast(Lanes.F, 0.5f).blend(-0.5f, y.compare(VectorOperators.LT, 0));
                ShortVector q = (ShortVector) y.add(half).convertShape(VectorOperators.F2S, QUANTS, 0);
                q.intoArray(quants, run * RUN + i);
                sum += q.reduceLanes(VectorOperators.ADD);
            }
            scales[run] = d;
            offsets[run] = (short) (8 * sum);
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

    /** The 8-bit quants of the elements, x[i] ~ quants[i] * quantScales[i / 32]. */
    short[] quants() {
        return quants;
    }

    /** Each run's quant scale. */
    float[] quantScales() {
        return quantScales;
    }

    /** Each run's 8 * (sum of its quants), exact: at most 8 * 32 * 127 = 32,512 in magnitude. */
    short[] quantOffsets() {
        return quantOffsets;
    }
}

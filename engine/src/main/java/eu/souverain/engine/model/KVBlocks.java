package eu.souverain.engine.model;

/**
 * Keys and values in fixed-size blocks: each block holds {@link #POSITIONS} positions in every
 * layer. A sequence's {@link KVCache} maps its positions onto blocks; a private cache owns a store
 * of its own, while a continuous-batching scheduler shares one store between all its sequences.
 *
 * <p>A block's memory is allocated the first time a cache takes it, so a store sized for a long
 * context costs only what its sequences reach.
 */
public final class KVBlocks {

    static final int SHIFT = 4;
    /** Positions per block. */
    public static final int POSITIONS = 1 << SHIFT;
    static final int MASK = POSITIONS - 1;

    private final int layers;
    private final int keyDim;
    private final int valueDim;
    private final float[][][] keys;   // [block][layer][position in block * keyDim + i]
    private final float[][][] values;

    public KVBlocks(LlamaConfig config, int count) {
        if (count < 1) {
            throw new IllegalArgumentException("a key/value store needs at least one block, was " + count);
        }
        this.layers = config.blockCount();
        this.keyDim = config.keyDim();
        this.valueDim = config.valueDim();
        this.keys = new float[count][][];
        this.values = new float[count][][];
    }

    /** The memory one block takes: keys and values of {@link #POSITIONS} positions in every layer, as floats. */
    public static long bytesPerBlock(LlamaConfig config) {
        return (long) Float.BYTES * POSITIONS * config.blockCount() * (config.keyDim() + config.valueDim());
    }

    public int count() {
        return keys.length;
    }

    /**
     * Copies the first {@code positions} positions of block {@code from} into block {@code to}, in
     * every layer: how a sequence takes over the part of a cached block its prompt shares.
     */
    public void copy(int from, int to, int positions) {
        if (positions < 0 || positions > POSITIONS) {
            throw new IllegalArgumentException(positions + " positions of a block of " + POSITIONS);
        }
        materialize(to);
        for (int l = 0; l < layers; l++) {
            System.arraycopy(keys[from][l], 0, keys[to][l], 0, positions * keyDim);
            System.arraycopy(values[from][l], 0, values[to][l], 0, positions * valueDim);
        }
    }

    void materialize(int block) {
        if (keys[block] == null) {
            keys[block] = new float[layers][POSITIONS * keyDim];
            values[block] = new float[layers][POSITIONS * valueDim];
        }
    }

    float[] keys(int block, int layer) {
        return keys[block][layer];
    }

    float[] values(int block, int layer) {
        return values[block][layer];
    }

    int keyDim() {
        return keyDim;
    }

    int valueDim() {
        return valueDim;
    }
}

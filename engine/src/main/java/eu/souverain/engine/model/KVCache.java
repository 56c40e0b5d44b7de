package eu.souverain.engine.model;

/**
 * The keys and values of one sequence's positions, on blocks of a {@link KVBlocks} store: position
 * p lives in the block at {@code table[p / POSITIONS]}, at row {@code p % POSITIONS}, where a
 * position's keys (and values) are contiguous. Whoever owns the cache decides which blocks it
 * gets; the forward pass only reads and writes through the table.
 */
public final class KVCache {

    private final KVBlocks store;
    private final int capacity;
    private final int[] table;
    private int blocks;

    /** An empty cache on {@code store} for at most {@code capacity} positions (the context length). */
    public KVCache(KVBlocks store, int capacity) {
        this.store = store;
        this.capacity = capacity;
        this.table = new int[(capacity + KVBlocks.MASK) >> KVBlocks.SHIFT];
    }

    /** Positions this cache may ever hold. */
    public int capacity() {
        return capacity;
    }

    /** Positions its blocks hold room for now. */
    public int positions() {
        return Math.min(blocks << KVBlocks.SHIFT, capacity);
    }

    public int blockCount() {
        return blocks;
    }

    /** The store's index of the {@code index}-th block of this cache. */
    public int block(int index) {
        if (index < 0 || index >= blocks) {
            throw new IndexOutOfBoundsException("block " + index + " of a cache of " + blocks);
        }
        return table[index];
    }

    /** Adds block {@code block} of the store for the next {@link KVBlocks#POSITIONS} positions. */
    public void append(int block) {
        if (blocks == table.length) {
            throw new IllegalStateException("the cache already holds its " + capacity + " positions");
        }
        if (block < 0 || block >= store.count()) {
            throw new IndexOutOfBoundsException("block " + block + " of a store of " + store.count());
        }
        store.materialize(block);
        table[blocks++] = block;
    }

    /** Forgets every block; the owner gives them back to wherever they came from. */
    public void clear() {
        blocks = 0;
    }

    float[] keys(int layer, int position) {
        return store.keys(table[position >> KVBlocks.SHIFT], layer);
    }

    float[] values(int layer, int position) {
        return store.values(table[position >> KVBlocks.SHIFT], layer);
    }

    int keyOffset(int position) {
        return (position & KVBlocks.MASK) * store.keyDim();
    }

    int valueOffset(int position) {
        return (position & KVBlocks.MASK) * store.valueDim();
    }
}

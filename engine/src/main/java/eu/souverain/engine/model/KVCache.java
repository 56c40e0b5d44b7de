package eu.souverain.engine.model;

/**
 * Keys and values of every past position, per layer, in pages of {@link #PAGE} positions.
 *
 * <p>Pages are allocated as the sequence grows, so a model whose file allows a 128k context
 * costs memory only for the positions a conversation actually reaches; within a page, a
 * position's keys (and values) are contiguous: {@code page[(pos % PAGE) * dim + i]}.
 */
final class KVCache {

    static final int PAGE_SHIFT = 8;
    static final int PAGE = 1 << PAGE_SHIFT;
    static final int PAGE_MASK = PAGE - 1;

    private final int keyDim;
    private final int valueDim;
    private final int capacity;
    private final float[][][] keys;   // [layer][page][offset]
    private final float[][][] values;
    private int pages;

    KVCache(int layers, int keyDim, int valueDim, int capacity) {
        this.keyDim = keyDim;
        this.valueDim = valueDim;
        this.capacity = capacity;
        int maxPages = (capacity + PAGE - 1) >> PAGE_SHIFT;
        keys = new float[layers][maxPages][];
        values = new float[layers][maxPages][];
    }

    int capacity() {
        return capacity;
    }

    /** Makes sure positions [0, length) have storage. */
    void ensure(int length) {
        if (length > capacity) {
            throw new IllegalArgumentException("position " + (length - 1) + " is past the context length " + capacity);
        }
        int needed = (length + PAGE - 1) >> PAGE_SHIFT;
        for (; pages < needed; pages++) {
            for (int layer = 0; layer < keys.length; layer++) {
                keys[layer][pages] = new float[PAGE * keyDim];
                values[layer][pages] = new float[PAGE * valueDim];
            }
        }
    }

    float[] keyPage(int layer, int position) {
        return keys[layer][position >> PAGE_SHIFT];
    }

    float[] valuePage(int layer, int position) {
        return values[layer][position >> PAGE_SHIFT];
    }

    int keyOffset(int position) {
        return (position & PAGE_MASK) * keyDim;
    }

    int valueOffset(int position) {
        return (position & PAGE_MASK) * valueDim;
    }
}

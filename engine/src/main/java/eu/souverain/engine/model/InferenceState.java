package eu.souverain.engine.model;

/**
 * One sequence run on its own: its key/value cache, on a block store of its own, the tokens at
 * its cached positions, and a {@link Batch} to run them through the model, allocated once so
 * that decoding allocates nothing per token. Not thread-safe: one sequence, one caller at a time.
 */
public final class InferenceState implements AutoCloseable {

    final KVCache kv;
    final Batch batch;
    final int[] tokens;     // the token run at each cached position
    int length;             // positions [0, length) hold valid keys and values

    InferenceState(LlamaConfig c, int threads) {
        int capacity = c.contextLength();
        kv = new KVCache(new KVBlocks(c, (capacity + KVBlocks.MASK) >> KVBlocks.SHIFT), capacity);
        batch = new Batch(c, Batch.PREFILL_ROWS, 1, threads);
        tokens = new int[capacity];
    }

    /**
     * How many leading tokens of {@code prompt} this state has already run: a later prompt that
     * extends an earlier one (the next turn of a chat) only needs the rest.
     */
    public int cachedPrefix(int[] prompt) {
        int n = Math.min(length, prompt.length);
        int i = 0;
        while (i < n && tokens[i] == prompt[i]) {
            i++;
        }
        return i;
    }

    /** Positions that hold keys and values. */
    public int length() {
        return length;
    }

    /** The context length: positions this state can hold. */
    public int capacity() {
        return kv.capacity();
    }

    /** Gives the cache blocks for positions [0, length): block i of the own store is the i-th of the cache. */
    void ensure(int length) {
        if (length > kv.capacity()) {
            throw new IllegalArgumentException("position " + (length - 1) + " is past the context length "
                    + kv.capacity());
        }
        while (kv.positions() < length) {
            kv.append(kv.blockCount());
        }
    }

    @Override
    public void close() {
        batch.close();
    }
}

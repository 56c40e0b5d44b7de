package eu.souverain.engine.model;

import eu.souverain.engine.tensor.BlockMatmul;
import eu.souverain.engine.tensor.Matrix;
import eu.souverain.engine.tensor.PreparedVector;

/**
 * The rows one forward pass runs together, each one token at a position of some sequence's
 * {@link KVCache}, with the activations of those rows and the worker threads that split each
 * matrix product. A decode step has one row per sequence; a prompt's prefill has a row per
 * prompt token (several prompts may share a pass). Allocated once: a pass allocates nothing.
 * Not thread-safe: one caller at a time.
 */
public final class Batch implements AutoCloseable {

    /**
     * Prompt tokens a prefill pass runs through each matrix together: enough that the weights,
     * read once per pass, cost less than the arithmetic; few enough that the activations stay in
     * the core's cache.
     */
    public static final int PREFILL_ROWS = 64;

    /** Below this many weights a matrix-vector product takes less time than waking a thread. */
    private static final long PARALLEL_MIN_ELEMENTS = 1 << 16;

    final int capacity;
    final int vocabulary;
    int size;
    final KVCache[] caches;
    final int[] tokens;
    final int[] positions;
    final int[] logitRows;  // the rows whose logits are asked for, in row order
    int logitCount;

    // One row per token: row t of x is x[t * dim, (t + 1) * dim).
    final float[] x;        // residual stream
    final float[] xb;       // normalized input of a sub-layer, then its output
    final float[] q;        // queries of every head
    final float[] k;        // keys of this row's position, before they go into the cache
    final float[] v;
    final float[] heads;    // attention output of every head, concatenated
    final float[] hb;       // feed-forward gate, then silu(gate) * up
    final float[] hb2;      // feed-forward up
    final float[] ropeCos;
    final float[] ropeSin;
    final float[] logits;   // one row of the vocabulary per logit row
    float[] blockLogits;    // allocated when every position's logits are first asked for (perplexity)

    final Parallel parallel;
    final float[][] att;      // per thread: the scores of one head
    final float[][] scratch;  // per thread: weight rows decoded for BlockMatmul
    private final PreparedVector[] prepared;
    private final EachTask each = new EachTask();
    private final BlockTask block = new BlockTask();
    Parallel.ShareTask attention;
    int layer;

    Batch(LlamaConfig c, int capacity, int logitCapacity, int threads) {
        if (capacity < 1 || logitCapacity < 1 || logitCapacity > capacity) {
            throw new IllegalArgumentException("a batch of " + capacity + " rows with logits for " + logitCapacity);
        }
        this.capacity = capacity;
        this.vocabulary = c.vocabularySize();
        caches = new KVCache[capacity];
        tokens = new int[capacity];
        positions = new int[capacity];
        logitRows = new int[logitCapacity];
        int dim = c.embeddingLength();
        int headsDim = c.headCount() * c.valueHeadSize();
        x = new float[capacity * dim];
        xb = new float[capacity * dim];
        q = new float[capacity * c.queryDim()];
        k = new float[capacity * c.keyDim()];
        v = new float[capacity * c.valueDim()];
        heads = new float[capacity * headsDim];
        hb = new float[capacity * c.feedForwardLength()];
        hb2 = new float[capacity * c.feedForwardLength()];
        ropeCos = new float[capacity * (c.ropeDimensions() / 2)];
        ropeSin = new float[capacity * (c.ropeDimensions() / 2)];
        logits = new float[logitCapacity * vocabulary];
        parallel = new Parallel(threads);
        int attRow = c.slidingWindow() > 0 ? Math.min(c.slidingWindow(), c.contextLength()) : c.contextLength();
        att = new float[threads][attRow];
        int widest = Math.max(Math.max(dim, headsDim), c.feedForwardLength());
        scratch = new float[threads][BlockMatmul.scratchLength(widest)];
        prepared = new PreparedVector[capacity];
        for (int t = 0; t < capacity; t++) {
            prepared[t] = new PreparedVector(widest);
        }
    }

    /** Empties the batch for the next pass. */
    public void clear() {
        size = 0;
        logitCount = 0;
    }

    /** Rows in the batch. */
    public int size() {
        return size;
    }

    /**
     * Adds a row: {@code token} at {@code position} of {@code cache}, whose blocks must already
     * cover that position. Returns the row's logit slot if {@code wantLogits} (the pass leaves its
     * logits at {@link #logits(int, float[])}), otherwise -1.
     */
    public int add(KVCache cache, int token, int position, boolean wantLogits) {
        if (size == capacity) {
            throw new IllegalStateException("the batch is full: " + capacity + " rows");
        }
        if (position < 0 || position >= cache.positions()) {
            throw new IllegalArgumentException("position " + position + " is outside the " + cache.positions()
                    + " positions the cache has blocks for");
        }
        if (wantLogits && logitCount == logitRows.length) {
            throw new IllegalStateException("the batch computes logits for " + logitRows.length + " rows at most");
        }
        caches[size] = cache;
        tokens[size] = token;
        positions[size] = position;
        int slot = -1;
        if (wantLogits) {
            slot = logitCount++;
            logitRows[slot] = size;
        }
        size++;
        return slot;
    }

    /** Copies the logits of slot {@code slot} of the last pass into {@code into}. */
    public void logits(int slot, float[] into) {
        if (slot < 0 || slot >= logitCount) {
            throw new IndexOutOfBoundsException("logit slot " + slot + " of " + logitCount);
        }
        System.arraycopy(logits, slot * vocabulary, into, 0, vocabulary);
    }

    /**
     * {@code out[t * rows + r] = W[r] · in[t * cols ..]} for the first {@code count} rows of
     * {@code in}, split across the threads by weight rows. {@code blocked} picks the kernel: the
     * block product for prompts, or the product of each vector alone, bit-identical to a single
     * sequence's step, for decoding.
     */
    void matmul(Matrix w, float[] in, int count, float[] out, boolean blocked) {
        if (blocked) {
            block.set(w, in, count, out);
            parallel.run(w.rows(), block);
            return;
        }
        for (int t = 0; t < count; t++) {
            prepared[t].prepare(in, t * w.cols(), w.cols());
        }
        each.set(w, count, out);
        if ((long) w.rows() * w.cols() < PARALLEL_MIN_ELEMENTS) {
            each.run(0, w.rows());
        } else {
            parallel.run(w.rows(), each);
        }
    }

    @Override
    public void close() {
        parallel.close();
    }

    private final class EachTask implements Parallel.RangeTask {
        private Matrix w;
        private int count;
        private float[] out;

        void set(Matrix w, int count, float[] out) {
            this.w = w;
            this.count = count;
            this.out = out;
        }

        @Override
        public void run(int from, int to) {
            w.matmul(prepared, count, out, w.rows(), from, to);
        }
    }

    private final class BlockTask implements Parallel.ShareTask {
        private Matrix w;
        private float[] in;
        private int count;
        private float[] out;

        void set(Matrix w, float[] in, int count, float[] out) {
            this.w = w;
            this.in = in;
            this.count = count;
            this.out = out;
        }

        @Override
        public void run(int share, int from, int to) {
            w.matmulBlock(in, count, out, from, to, scratch[share]);
        }
    }
}

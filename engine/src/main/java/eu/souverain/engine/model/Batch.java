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
    private final Matrix[] one = new Matrix[1];
    private final float[][] oneOut = new float[1][];
    final float[][] qkv;    // the outputs of the grouped q, k, v products
    final float[][] gateUp; // the outputs of the grouped gate and up products
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
        qkv = new float[][] {q, k, v};
        gateUp = new float[][] {hb, hb2};
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
        one[0] = w;
        oneOut[0] = out;
        matmul(one, in, count, oneOut, blocked);
    }

    /**
     * The products of several matrices with the same input ({@code outs[i]} of {@code ws[i]}, as
     * the single product computes it), in one dispatch: their rows, end to end, are split across
     * the threads together, so the threads meet once instead of once per matrix and the input is
     * prepared once.
     */
    void matmul(Matrix[] ws, float[] in, int count, float[][] outs, boolean blocked) {
        int cols = ws[0].cols();
        int rows = 0;
        for (Matrix w : ws) {
            if (w.cols() != cols) {
                throw new IllegalArgumentException("products with one input need matrices of " + cols
                        + " columns, not " + w);
            }
            rows += w.rows();
        }
        for (int t = 0; t < count; t++) {
            prepared[t].prepare(in, t * cols, cols);
        }
        if (blocked) {
            block.set(ws, count, outs);
            parallel.run(rows, block);
            return;
        }
        each.set(ws, count, outs);
        if ((long) rows * cols < PARALLEL_MIN_ELEMENTS) {
            each.run(0, 0, rows);
        } else {
            parallel.run(rows, each);
        }
    }

    @Override
    public void close() {
        parallel.close();
    }

    /**
     * A product over the rows of several matrices end to end: each chunk [from, to) of that range
     * is cut at the matrices' boundaries, and each piece computed by {@link #run(int, Matrix, float[], int, int)}.
     */
    private abstract static class GroupTask implements Parallel.ShareTask {
        Matrix[] ws;
        float[][] outs;

        @Override
        public final void run(int share, int from, int to) {
            int first = 0;
            for (int i = 0; i < ws.length && from < to; i++) {
                int rows = ws[i].rows();
                if (from < first + rows) {
                    int end = Math.min(to, first + rows);
                    run(share, ws[i], outs[i], from - first, end - first);
                    from = end;
                }
                first += rows;
            }
        }

        abstract void run(int share, Matrix w, float[] out, int rowFrom, int rowTo);
    }

    private final class EachTask extends GroupTask {
        private int count;

        void set(Matrix[] ws, int count, float[][] outs) {
            this.ws = ws;
            this.count = count;
            this.outs = outs;
        }

        @Override
        void run(int share, Matrix w, float[] out, int rowFrom, int rowTo) {
            w.matmul(prepared, count, out, w.rows(), rowFrom, rowTo);
        }
    }

    private final class BlockTask extends GroupTask {
        private int count;

        void set(Matrix[] ws, int count, float[][] outs) {
            this.ws = ws;
            this.count = count;
            this.outs = outs;
        }

        @Override
        void run(int share, Matrix w, float[] out, int rowFrom, int rowTo) {
            w.matmulBlock(prepared, count, out, rowFrom, rowTo, scratch[share]);
        }
    }
}

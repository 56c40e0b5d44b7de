package eu.souverain.engine.model;

import eu.souverain.engine.tensor.Matrix;

/**
 * Everything one sequence needs while it runs through the model: its key/value cache and the
 * activation buffers of the forward pass, allocated once so that decoding allocates nothing per
 * token. Not thread-safe: one sequence, one caller at a time.
 */
public final class InferenceState implements AutoCloseable {

    /** Below this many weights a matrix-vector product takes less time than waking a thread. */
    private static final long PARALLEL_MIN_ELEMENTS = 1 << 16;

    final float[] x;        // residual stream
    final float[] xb;       // normalized input of a sub-layer, then its output
    final float[] q;        // queries of every head
    final float[] heads;    // attention output of every head, concatenated
    final float[] hb;       // feed-forward gate, then silu(gate) * up
    final float[] hb2;      // feed-forward up
    final float[] att;      // attention scores, one row per head
    final float[] logits;
    final float[] ropeCos;
    final float[] ropeSin;
    final int attRow;       // positions one head attends to at most
    final KVCache kv;
    final Parallel parallel;
    final int[] tokens;     // the token run at each cached position
    int length;             // positions [0, length) hold valid keys and values

    // The operation the workers run next; set just before each parallel run.
    private final MatmulTask matmul = new MatmulTask();
    Parallel.RangeTask attention;
    int layer;
    int position;

    InferenceState(LlamaConfig c, int threads) {
        x = new float[c.embeddingLength()];
        xb = new float[c.embeddingLength()];
        q = new float[c.queryDim()];
        heads = new float[c.headCount() * c.valueHeadSize()];
        hb = new float[c.feedForwardLength()];
        hb2 = new float[c.feedForwardLength()];
        attRow = c.slidingWindow() > 0 ? Math.min(c.slidingWindow(), c.contextLength()) : c.contextLength();
        att = new float[c.headCount() * attRow];
        logits = new float[c.vocabularySize()];
        ropeCos = new float[c.ropeDimensions() / 2];
        ropeSin = new float[c.ropeDimensions() / 2];
        kv = new KVCache(c.blockCount(), c.keyDim(), c.valueDim(), c.contextLength());
        parallel = new Parallel(threads);
        tokens = new int[c.contextLength()];
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

    /**
     * out[outOffset + r] = W[r] · x for every row r, split across the threads by rows when the
     * matrix is big enough for the hand-off to pay (a few microseconds of work per thread).
     */
    void matmul(Matrix w, float[] x, float[] out, int outOffset) {
        if ((long) w.rows() * w.cols() < PARALLEL_MIN_ELEMENTS) {
            w.matmul(x, 0, out, outOffset, 0, w.rows());
            return;
        }
        matmul.set(w, x, out, outOffset);
        parallel.run(w.rows(), matmul);
    }

    @Override
    public void close() {
        parallel.close();
    }

    private static final class MatmulTask implements Parallel.RangeTask {
        private Matrix w;
        private float[] x;
        private float[] out;
        private int outOffset;

        void set(Matrix w, float[] x, float[] out, int outOffset) {
            this.w = w;
            this.x = x;
            this.out = out;
            this.outOffset = outOffset;
        }

        @Override
        public void run(int from, int to) {
            w.matmul(x, 0, out, outOffset, from, to);
        }
    }
}

package eu.souverain.engine.model;

import static eu.souverain.engine.tensor.ForwardMath.add;
import static eu.souverain.engine.tensor.ForwardMath.axpyRows;
import static eu.souverain.engine.tensor.ForwardMath.dot;
import static eu.souverain.engine.tensor.ForwardMath.rmsnorm;
import static eu.souverain.engine.tensor.ForwardMath.siluMul;
import static eu.souverain.engine.tensor.ForwardMath.softmax;

import eu.souverain.engine.chat.ChatTemplate;
import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.gguf.Metadata;
import eu.souverain.engine.tensor.Matrix;
import eu.souverain.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A llama-family model: configuration, memory-mapped weights, tokenizer and chat template of one
 * GGUF file, and the forward pass that turns a token at a position into next-token logits.
 *
 * <p>The model itself is immutable and can serve several {@link InferenceState}s, each one
 * sequence with its own key/value cache, and {@link Batch}es, whose rows may belong to many
 * sequences whose caches share one block store. One forward pass ({@code layers}) serves both:
 * a decode step multiplies each row's vector alone, a prompt's prefill multiplies blocks of rows.
 */
public final class LlamaModel implements AutoCloseable {

    /** Below this many query-key products, attention runs on the calling thread alone. */
    private static final long PARALLEL_MIN_ATTENTION = 1 << 15;

    private final GGUFFile file;
    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final Tokenizer tokenizer;
    /** Made on first use (see {@link #chatTemplate}). */
    private volatile ChatTemplate chatTemplate;
    private final double[] ropeFrequencies;
    private final float attentionScale;
    // Per layer, the matrices that multiply the same input, for products in one dispatch.
    private final Matrix[][] qkv;
    private final Matrix[][] gateUp;

    private LlamaModel(GGUFFile file, LlamaConfig config, LlamaWeights weights, Tokenizer tokenizer) {
        this.file = file;
        this.config = config;
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.ropeFrequencies = ropeFrequencies(config, weights.ropeFactors());
        this.attentionScale = (float) (1.0 / Math.sqrt(config.headSize()));
        LlamaWeights.Layer[] layers = weights.layers();
        this.qkv = new Matrix[layers.length][];
        this.gateUp = new Matrix[layers.length][];
        for (int l = 0; l < layers.length; l++) {
            qkv[l] = new Matrix[] {layers[l].wq(), layers[l].wk(), layers[l].wv()};
            gateUp[l] = new Matrix[] {layers[l].gate(), layers[l].up()};
        }
    }

    /** Maps the file and binds its weights; {@code contextLength} 0 keeps the file's own. */
    public static LlamaModel load(Path path, int contextLength) throws IOException {
        GGUFFile file = GGUFFile.open(path);
        try {
            Metadata metadata = file.metadata();
            LlamaConfig.requireLlama(metadata);
            int vocabulary = Math.toIntExact(file.tensor("token_embd.weight").rows());
            LlamaConfig config = LlamaConfig.from(metadata, vocabulary);
            if (contextLength > 0) {
                config = config.withContextLength(contextLength);
            }
            Tokenizer tokenizer = Tokenizer.fromMetadata(metadata);
            if (tokenizer.vocabularySize() > vocabulary) {
                throw new UnsupportedModelException("the tokenizer has " + tokenizer.vocabularySize()
                        + " tokens but the embedding only " + vocabulary + " rows");
            }
            return new LlamaModel(file, config, LlamaWeights.load(file, config), tokenizer);
        } catch (RuntimeException | Error e) {
            file.close();
            throw e;
        }
    }

    public static LlamaModel load(Path path) throws IOException {
        return load(path, 0);
    }

    public LlamaConfig config() {
        return config;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * The file's chat template, or the builtin that matches its vocabulary. Parsed on the first
     * call, not at load: a raw completion never needs it, and parsing it (the Jinja engine's
     * start, and logging's) cost a short {@code generate} about 0.4 s of CPU. Throws
     * {@link eu.souverain.engine.chat.ChatTemplateException} when the file's template does not parse.
     */
    public ChatTemplate chatTemplate() {
        ChatTemplate template = chatTemplate;
        if (template == null) {
            synchronized (this) {
                template = chatTemplate;
                if (template == null) {
                    template = ChatTemplate.forModel(
                            file.metadata().findString("tokenizer.chat_template").orElse(null),
                            text -> tokenizer.findToken(text).isPresent(),
                            tokenizer.tokenText(tokenizer.bosToken()),
                            tokenizer.tokenText(tokenizer.eosToken()));
                    chatTemplate = template;
                }
            }
        }
        return template;
    }

    public GGUFFile file() {
        return file;
    }

    public InferenceState newState(int threads) {
        InferenceState state = new InferenceState(config, threads);
        state.batch.attention = (share, from, to) -> attend(state.batch, share, from, to);
        return state;
    }

    /**
     * A batch of up to {@code rows} rows, with logits for up to {@code logitRows} of them, whose
     * matrix products run on {@code threads} threads: what a continuous-batching scheduler steps.
     */
    public Batch newBatch(int rows, int logitRows, int threads) {
        Batch batch = new Batch(config, rows, logitRows, threads);
        batch.attention = (share, from, to) -> attend(batch, share, from, to);
        return batch;
    }

    /**
     * Runs {@code token} at {@code position} through the model and returns the logits of the next
     * token (a buffer of the state, overwritten by the next call). Positions before it must have
     * been run in this state already: their keys and values are read from its cache; positions
     * after it are forgotten.
     */
    public float[] forward(InferenceState s, int token, int position) {
        if (position < 0 || position > s.length) {
            throw new IllegalArgumentException("position " + position + " leaves a gap after the "
                    + s.length + " cached positions");
        }
        s.ensure(position + 1);
        s.tokens[position] = token;
        s.length = position + 1;
        Batch b = s.batch;
        b.clear();
        b.add(s.kv, token, position, true);
        decode(b);
        return b.logits;
    }

    /**
     * One decode step for every row of {@code b}, each the next token of its own sequence: the
     * matrix products read each weight once for all rows, yet each row's result is bit-identical
     * to what it would be alone in the batch. Leaves the logits of the rows that asked for them.
     */
    public void decode(Batch b) {
        layers(b, false);
        logits(b);
    }

    /**
     * A prefill pass: the rows are prompt tokens, each at its position in its sequence's cache,
     * which must already hold every earlier position of that sequence (an earlier row of this
     * pass counts). The matrix products run as block products; a row's keys, values and logits
     * do not depend on which other rows share its pass, so however a prompt is cut in passes it
     * leaves the same cache. Leaves the logits of the rows that asked for them.
     */
    public void prefill(Batch b) {
        layers(b, true);
        logits(b);
    }

    /** Receives the logits after one position; the array is overwritten once the call returns. */
    public interface LogitsConsumer {
        void accept(int position, float[] logits);
    }

    /**
     * Runs {@code tokens[from..to)} at positions {@code startPosition..} as {@link #forward} would
     * one by one, and returns the logits after the last of them (the state's buffer, overwritten
     * by the next call). The tokens go through each matrix in passes of {@link Batch#PREFILL_ROWS},
     * so every weight is read once per pass rather than once per token: this is how a prompt
     * should run. Logits may differ from {@code forward}'s in the last bits (another summation order).
     */
    public float[] ingest(InferenceState s, int[] tokens, int from, int to, int startPosition) {
        run(s, tokens, from, to, startPosition, null);
        return s.batch.logits;
    }

    /**
     * As {@link #ingest(InferenceState, int[], int, int, int)}, but passes the logits after every
     * position from {@code logitsFrom} on to {@code consumer}, in order (what perplexity needs).
     */
    public void ingest(InferenceState s, int[] tokens, int from, int to, int startPosition, int logitsFrom,
                       LogitsConsumer consumer) {
        run(s, tokens, from, to, startPosition, b -> blockLogits(b, logitsFrom, consumer));
    }

    /**
     * A sentence embedding of {@code tokens}: the mean over positions of the final hidden state
     * (after the output norm, before the output matrix), scaled to unit length. Runs the tokens
     * from position 0 in {@code s} as {@link #ingest} does, replacing whatever the state held.
     */
    public float[] embed(InferenceState s, int[] tokens) {
        int dim = config.embeddingLength();
        double[] sum = new double[dim];
        float[] normed = new float[dim];
        run(s, tokens, 0, tokens.length, 0, b -> {
            for (int t = 0; t < b.size; t++) {
                rmsnorm(normed, 0, b.x, t * dim, weights.outputNorm(), dim, config.rmsEpsilon());
                for (int i = 0; i < dim; i++) {
                    sum[i] += normed[i];
                }
            }
        });
        // The mean's 1/n cancels in the normalisation.
        double norm = 0;
        for (double v : sum) {
            norm += v * v;
        }
        norm = Math.sqrt(norm);
        if (norm == 0) {
            throw new IllegalStateException("the hidden states of these " + tokens.length
                    + " tokens sum to zero: no direction to embed");
        }
        float[] embedding = new float[dim];
        for (int i = 0; i < dim; i++) {
            embedding[i] = (float) (sum[i] / norm);
        }
        return embedding;
    }

    /** What runs after each prefill pass, while its final hidden states are in the batch's {@code x}. */
    private interface PassEnd {
        void accept(Batch b);
    }

    /**
     * The passes of {@link #ingest}: the logits of the last token are asked for when {@code end}
     * is null, for the caller to read from the batch.
     */
    private void run(InferenceState s, int[] tokens, int from, int to, int startPosition, PassEnd end) {
        if (from < 0 || to > tokens.length || from >= to) {
            throw new IllegalArgumentException("tokens [" + from + ", " + to + ") of " + tokens.length
                    + ": give at least one token");
        }
        if (startPosition < 0 || startPosition > s.length) {
            throw new IllegalArgumentException("start position " + startPosition + " leaves a gap after the "
                    + s.length + " cached positions");
        }
        s.ensure(startPosition + to - from);
        Batch b = s.batch;
        for (int i = from; i < to; ) {
            b.clear();
            for (int last = Math.min(to, i + Batch.PREFILL_ROWS); i < last; i++) {
                int position = startPosition + i - from;
                b.add(s.kv, tokens[i], position, end == null && i == to - 1);
                s.tokens[position] = tokens[i];
            }
            s.length = startPosition + i - from;
            prefill(b);
            if (end != null) {
                end.accept(b);
            }
        }
    }

    /**
     * The forward pass through every layer of each row of {@code b}, leaving the final hidden
     * states in {@code b.x}; {@code blocked} picks the matrix kernel (see {@link Batch#matmul}).
     */
    private void layers(Batch b, boolean blocked) {
        LlamaConfig c = config;
        int n = b.size;
        int dim = c.embeddingLength();
        int half = ropeFrequencies.length;
        float eps = c.rmsEpsilon();
        for (int t = 0; t < n; t++) {
            weights.tokenEmbedding().dequantizeRow(b.tokens[t], b.x, t * dim);
            rotation(b.positions[t], b.ropeCos, b.ropeSin, t * half);
        }

        for (int l = 0; l < c.blockCount(); l++) {
            LlamaWeights.Layer w = weights.layers()[l];

            // attention: q, k, v of each row; k and v go into the row's cache at its position
            for (int t = 0; t < n; t++) {
                rmsnorm(b.xb, t * dim, b.x, t * dim, w.attentionNorm(), dim, eps);
            }
            b.matmul(qkv[l], b.xb, n, b.qkv, blocked);
            for (int t = 0; t < n; t++) {
                KVCache kv = b.caches[t];
                int position = b.positions[t];
                rotate(b.q, t * c.queryDim(), c.headCount(), b.ropeCos, b.ropeSin, t * half);
                rotate(b.k, t * c.keyDim(), c.headCountKv(), b.ropeCos, b.ropeSin, t * half);
                System.arraycopy(b.k, t * c.keyDim(), kv.keys(l, position), kv.keyOffset(position), c.keyDim());
                System.arraycopy(b.v, t * c.valueDim(), kv.values(l, position), kv.valueOffset(position), c.valueDim());
            }
            b.layer = l;
            long products = 0;
            for (int t = 0; t < n; t++) {
                products += b.positions[t] + 1;
            }
            if (products * c.headCount() * c.headSize() < PARALLEL_MIN_ATTENTION) {
                b.attention.run(0, 0, c.headCount() * n);
            } else {
                b.parallel.run(c.headCount() * n, b.attention);
            }
            b.matmul(w.wo(), b.heads, n, b.xb, blocked);
            add(b.x, 0, b.xb, 0, n * dim);

            // feed-forward: SwiGLU
            for (int t = 0; t < n; t++) {
                rmsnorm(b.xb, t * dim, b.x, t * dim, w.ffnNorm(), dim, eps);
            }
            b.matmul(gateUp[l], b.xb, n, b.gateUp, blocked);
            // Row by row: which elements fall in the vector loop's scalar tail must not depend on the row count.
            for (int t = 0; t < n; t++) {
                int f = t * c.feedForwardLength();
                siluMul(b.hb, f, b.hb2, f, c.feedForwardLength());
            }
            b.matmul(w.down(), b.hb, n, b.xb, blocked);
            add(b.x, 0, b.xb, 0, n * dim);
        }
    }

    /**
     * The logits of the rows that asked for them, each by the product of its vector alone so that
     * they do not depend on the other rows: row {@code logitRows[i]} to slot i.
     */
    private void logits(Batch b) {
        if (b.logitCount == 0) {
            return;
        }
        int dim = config.embeddingLength();
        for (int i = 0; i < b.logitCount; i++) {
            // Slot i is at or before its row, so normalizing into it overwrites no row still to read.
            rmsnorm(b.xb, i * dim, b.x, b.logitRows[i] * dim, weights.outputNorm(), dim, config.rmsEpsilon());
        }
        b.matmul(weights.output(), b.xb, b.logitCount, b.logits, false);
    }

    /** The logits of every row of the pass just run, from position {@code logitsFrom} on, to {@code consumer}. */
    private void blockLogits(Batch b, int logitsFrom, LogitsConsumer consumer) {
        int first = 0;
        while (first < b.size && b.positions[first] < logitsFrom) {
            first++;
        }
        if (first == b.size) {
            return;
        }
        int dim = config.embeddingLength();
        int vocabulary = config.vocabularySize();
        if (b.blockLogits == null) {
            b.blockLogits = new float[b.capacity * vocabulary];
        }
        for (int t = first; t < b.size; t++) {
            rmsnorm(b.xb, (t - first) * dim, b.x, t * dim, weights.outputNorm(), dim, config.rmsEpsilon());
        }
        b.matmul(weights.output(), b.xb, b.size - first, b.blockLogits, true);
        float[] logits = new float[vocabulary];
        for (int t = first; t < b.size; t++) {
            System.arraycopy(b.blockLogits, (t - first) * vocabulary, logits, 0, vocabulary);
            consumer.accept(b.positions[t], logits);
        }
    }

    /**
     * Attention for the pairs [from, to) of (query head, row), head-major so that a thread's share
     * holds whole heads and prompt rows of every length: scaled dot-product attention of the row's
     * query head over the cached positions it may see, all earlier ones or the last
     * {@code slidingWindow} of them (itself included).
     */
    private void attend(Batch b, int share, int from, int to) {
        LlamaConfig c = config;
        int n = b.size;
        int l = b.layer;
        int headSize = c.headSize();
        int valueSize = c.valueHeadSize();
        int headsDim = c.headCount() * valueSize;
        float[] att = b.att[share];
        for (int i = from; i < to; i++) {
            int h = i / n;
            int row = i % n;
            int pos = b.positions[row];
            KVCache kv = b.caches[row];
            int q = row * c.queryDim() + h * headSize;
            int out = row * headsDim + h * valueSize;
            int start = c.slidingWindow() > 0 ? Math.max(0, pos - c.slidingWindow() + 1) : 0;
            int span = pos - start + 1;
            int kvHead = h / c.groupSize();
            // A cache block at a time: its positions' keys (and values) lie at one stride in one array.
            for (int t = start; t <= pos; t = nextBlock(t)) {
                float[] keys = kv.keys(l, t);
                int key = kv.keyOffset(t) + kvHead * headSize;
                for (int u = t, end = Math.min(nextBlock(t), pos + 1); u < end; u++, key += c.keyDim()) {
                    att[u - start] = dot(b.q, q, keys, key, headSize) * attentionScale;
                }
            }
            softmax(att, 0, span);
            Arrays.fill(b.heads, out, out + valueSize, 0f);
            for (int t = start; t <= pos; t = nextBlock(t)) {
                int count = Math.min(nextBlock(t), pos + 1) - t;
                axpyRows(b.heads, out, att, t - start, kv.values(l, t), kv.valueOffset(t) + kvHead * valueSize,
                        c.valueDim(), count, valueSize);
            }
        }
    }

    /** The first position of the cache block after the one holding {@code position}. */
    private static int nextBlock(int position) {
        return (position | KVBlocks.MASK) + 1;
    }

    /** The cosines and sines of this position's rotary angles, shared by every head, from {@code at}. */
    private void rotation(int position, float[] cosines, float[] sines, int at) {
        double scaled = position / (double) config.ropeScale();
        for (int i = 0; i < ropeFrequencies.length; i++) {
            double angle = scaled * ropeFrequencies[i];
            cosines[at + i] = (float) Math.cos(angle);
            sines[at + i] = (float) Math.sin(angle);
        }
    }

    /**
     * Rotary embedding of {@code heads} consecutive heads: rotates each pair (2i, 2i+1) by the
     * angles whose cosines and sines start at {@code at}.
     */
    private void rotate(float[] v, int offset, int heads, float[] cosines, float[] sines, int at) {
        int headSize = config.headSize();
        for (int h = 0; h < heads; h++) {
            int base = offset + h * headSize;
            for (int i = 0; i < ropeFrequencies.length; i++) {
                float cos = cosines[at + i];
                float sin = sines[at + i];
                float x0 = v[base + 2 * i];
                float x1 = v[base + 2 * i + 1];
                v[base + 2 * i] = x0 * cos - x1 * sin;
                v[base + 2 * i + 1] = x0 * sin + x1 * cos;
            }
        }
    }

    /** theta_i = base^(-2i/d), divided by Llama 3's per-frequency factor where the file has them. */
    private static double[] ropeFrequencies(LlamaConfig c, float[] factors) {
        double[] frequencies = new double[c.ropeDimensions() / 2];
        for (int i = 0; i < frequencies.length; i++) {
            frequencies[i] = Math.pow(c.ropeFreqBase(), -2.0 * i / c.ropeDimensions());
            if (factors != null) {
                frequencies[i] /= factors[i];
            }
        }
        return frequencies;
    }

    @Override
    public void close() {
        file.close();
    }
}

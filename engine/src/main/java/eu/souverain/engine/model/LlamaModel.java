package eu.souverain.engine.model;

import static eu.souverain.engine.tensor.ArrayMath.add;
import static eu.souverain.engine.tensor.ArrayMath.axpy;
import static eu.souverain.engine.tensor.ArrayMath.dot;
import static eu.souverain.engine.tensor.ArrayMath.rmsnorm;
import static eu.souverain.engine.tensor.ArrayMath.siluMul;
import static eu.souverain.engine.tensor.ArrayMath.softmax;

import eu.souverain.engine.chat.ChatTemplate;
import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.gguf.Metadata;
import eu.souverain.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A llama-family model: configuration, memory-mapped weights, tokenizer and chat template of one
 * GGUF file, and the forward pass that turns a token at a position into next-token logits.
 *
 * <p>The model itself is immutable and can serve several {@link InferenceState}s; each state is
 * one sequence with its own key/value cache.
 */
public final class LlamaModel implements AutoCloseable {

    /** Below this many query-key products, attention runs on the calling thread alone. */
    private static final long PARALLEL_MIN_ATTENTION = 1 << 15;

    private final GGUFFile file;
    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final Tokenizer tokenizer;
    private final ChatTemplate chatTemplate;
    private final double[] ropeFrequencies;
    private final float attentionScale;

    private LlamaModel(GGUFFile file, LlamaConfig config, LlamaWeights weights, Tokenizer tokenizer) {
        this.file = file;
        this.config = config;
        this.weights = weights;
        this.tokenizer = tokenizer;
        Metadata metadata = file.metadata();
        this.chatTemplate = ChatTemplate.forModel(
                metadata.findString("tokenizer.chat_template").orElse(null),
                text -> tokenizer.findToken(text).isPresent(),
                tokenizer.tokenText(tokenizer.bosToken()),
                tokenizer.tokenText(tokenizer.eosToken()));
        this.ropeFrequencies = ropeFrequencies(config, weights.ropeFactors());
        this.attentionScale = (float) (1.0 / Math.sqrt(config.headSize()));
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

    public ChatTemplate chatTemplate() {
        return chatTemplate;
    }

    public GGUFFile file() {
        return file;
    }

    public InferenceState newState(int threads) {
        InferenceState state = new InferenceState(config, threads);
        state.attention = (from, to) -> attend(state, from, to);
        state.blockAttention = (from, to) -> attendBlock(state, from, to);
        return state;
    }

    /**
     * Runs {@code token} at {@code position} through the model and returns the logits of the next
     * token (a buffer of the state, overwritten by the next call). Positions before it must have
     * been run in this state already: their keys and values are read from its cache; positions
     * after it are forgotten.
     */
    public float[] forward(InferenceState s, int token, int position) {
        LlamaConfig c = config;
        int dim = c.embeddingLength();
        float eps = c.rmsEpsilon();
        s.kv.ensure(position + 1);
        s.tokens[position] = token;
        s.length = position + 1;
        s.position = position;
        weights.tokenEmbedding().dequantizeRow(token, s.x, 0);
        rotation(position, s.ropeCos, s.ropeSin, 0);

        for (int l = 0; l < c.blockCount(); l++) {
            LlamaWeights.Layer w = weights.layers()[l];
            float[] keys = s.kv.keyPage(l, position);
            float[] values = s.kv.valuePage(l, position);
            int kOffset = s.kv.keyOffset(position);
            int vOffset = s.kv.valueOffset(position);

            // attention: q, k, v of this token; k and v go straight into the cache
            rmsnorm(s.xb, 0, s.x, 0, w.attentionNorm(), dim, eps);
            s.matmul(w.wq(), s.xb, s.q, 0);
            s.matmul(w.wk(), s.xb, keys, kOffset);
            s.matmul(w.wv(), s.xb, values, vOffset);
            rotate(s.q, 0, c.headCount(), s.ropeCos, s.ropeSin, 0);
            rotate(keys, kOffset, c.headCountKv(), s.ropeCos, s.ropeSin, 0);
            s.layer = l;
            if ((long) c.headCount() * c.headSize() * (position + 1) < PARALLEL_MIN_ATTENTION) {
                attend(s, 0, c.headCount());
            } else {
                s.parallel.run(c.headCount(), s.attention);
            }
            s.matmul(w.wo(), s.heads, s.xb, 0);
            add(s.x, 0, s.xb, 0, dim);

            // feed-forward: SwiGLU
            rmsnorm(s.xb, 0, s.x, 0, w.ffnNorm(), dim, eps);
            s.matmul(w.gate(), s.xb, s.hb, 0);
            s.matmul(w.up(), s.xb, s.hb2, 0);
            siluMul(s.hb, 0, s.hb2, 0, c.feedForwardLength());
            s.matmul(w.down(), s.hb, s.xb, 0);
            add(s.x, 0, s.xb, 0, dim);
        }

        rmsnorm(s.x, 0, s.x, 0, weights.outputNorm(), dim, eps);
        s.matmul(weights.output(), s.x, s.logits, 0);
        return s.logits;
    }

    /** Receives the logits after one position; the array is overwritten once the call returns. */
    public interface LogitsConsumer {
        void accept(int position, float[] logits);
    }

    /**
     * Runs {@code tokens[from..to)} at positions {@code startPosition..} as {@link #forward} would
     * one by one, and returns the logits after the last of them (the state's buffer, overwritten
     * by the next call). The tokens go through each matrix in blocks of {@link InferenceState#BLOCK},
     * so every weight is read once per block rather than once per token: this is how a prompt
     * should run. Logits may differ from {@code forward}'s in the last bits (another summation order).
     */
    public float[] ingest(InferenceState s, int[] tokens, int from, int to, int startPosition) {
        int lastRow = run(s, tokens, from, to, startPosition, null);
        rmsnorm(s.x, 0, s.blockX, lastRow * config.embeddingLength(), weights.outputNorm(), config.embeddingLength(),
                config.rmsEpsilon());
        s.matmul(weights.output(), s.x, s.logits, 0);
        return s.logits;
    }

    /**
     * As {@link #ingest(InferenceState, int[], int, int, int)}, but passes the logits after every
     * position from {@code logitsFrom} on to {@code consumer}, in order (what perplexity needs).
     */
    public void ingest(InferenceState s, int[] tokens, int from, int to, int startPosition, int logitsFrom,
                       LogitsConsumer consumer) {
        run(s, tokens, from, to, startPosition, (start, n) -> blockLogits(s, start, n, logitsFrom, consumer));
    }

    /**
     * A sentence embedding of {@code tokens}: the mean over positions of the final hidden state
     * (after the output norm, before the output matrix), scaled to unit length. Runs the tokens
     * from position 0 in {@code s} as {@link #ingest} does, replacing whatever the state held.
     */
    public float[] embed(InferenceState s, int[] tokens) {
        int dim = config.embeddingLength();
        double[] sum = new double[dim];
        run(s, tokens, 0, tokens.length, 0, (start, n) -> {
            for (int t = 0; t < n; t++) {
                rmsnorm(s.xb, 0, s.blockX, t * dim, weights.outputNorm(), dim, config.rmsEpsilon());
                for (int i = 0; i < dim; i++) {
                    sum[i] += s.xb[i];
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

    /** What runs after each block's layers, while its final hidden states are in {@code blockX}. */
    private interface BlockEnd {
        void accept(int start, int n);
    }

    /** The blocks of {@link #ingest}; returns the last token's row of the final block. */
    private int run(InferenceState s, int[] tokens, int from, int to, int startPosition, BlockEnd end) {
        if (from < 0 || to > tokens.length || from >= to) {
            throw new IllegalArgumentException("tokens [" + from + ", " + to + ") of " + tokens.length
                    + ": give at least one token");
        }
        if (startPosition < 0 || startPosition > s.length) {
            throw new IllegalArgumentException("start position " + startPosition + " leaves a gap after the "
                    + s.length + " cached positions");
        }
        s.kv.ensure(startPosition + to - from);
        int count = 0;
        for (int i = from; i < to; i += count) {
            count = Math.min(InferenceState.BLOCK, to - i);
            int start = startPosition + i - from;
            block(s, tokens, i, count, start);
            if (end != null) {
                end.accept(start, count);
            }
        }
        return count - 1;
    }

    /** One block of {@code n} tokens from {@code tokens[from]} at positions {@code start..}. */
    private void block(InferenceState s, int[] tokens, int from, int n, int start) {
        LlamaConfig c = config;
        int dim = c.embeddingLength();
        int half = s.ropeCos.length;
        float eps = c.rmsEpsilon();
        System.arraycopy(tokens, from, s.tokens, start, n);
        s.length = start + n;
        s.position = start + n - 1;
        for (int t = 0; t < n; t++) {
            weights.tokenEmbedding().dequantizeRow(tokens[from + t], s.blockX, t * dim);
            rotation(start + t, s.blockRopeCos, s.blockRopeSin, t * half);
        }
        s.blockStart = start;
        s.blockTokens = n;

        for (int l = 0; l < c.blockCount(); l++) {
            LlamaWeights.Layer w = weights.layers()[l];
            for (int t = 0; t < n; t++) {
                rmsnorm(s.blockXb, t * dim, s.blockX, t * dim, w.attentionNorm(), dim, eps);
            }
            s.matmulBlock(w.wq(), s.blockXb, n, s.blockQ);
            s.matmulBlock(w.wk(), s.blockXb, n, s.blockK);
            s.matmulBlock(w.wv(), s.blockXb, n, s.blockV);
            for (int t = 0; t < n; t++) {
                int position = start + t;
                rotate(s.blockQ, t * c.queryDim(), c.headCount(), s.blockRopeCos, s.blockRopeSin, t * half);
                rotate(s.blockK, t * c.keyDim(), c.headCountKv(), s.blockRopeCos, s.blockRopeSin, t * half);
                System.arraycopy(s.blockK, t * c.keyDim(), s.kv.keyPage(l, position), s.kv.keyOffset(position),
                        c.keyDim());
                System.arraycopy(s.blockV, t * c.valueDim(), s.kv.valuePage(l, position), s.kv.valueOffset(position),
                        c.valueDim());
            }
            s.layer = l;
            s.parallel.run(c.headCount(), s.blockAttention);
            s.matmulBlock(w.wo(), s.blockHeads, n, s.blockXb);
            add(s.blockX, 0, s.blockXb, 0, n * dim);

            for (int t = 0; t < n; t++) {
                rmsnorm(s.blockXb, t * dim, s.blockX, t * dim, w.ffnNorm(), dim, eps);
            }
            s.matmulBlock(w.gate(), s.blockXb, n, s.blockHb);
            s.matmulBlock(w.up(), s.blockXb, n, s.blockHb2);
            siluMul(s.blockHb, 0, s.blockHb2, 0, n * c.feedForwardLength());
            s.matmulBlock(w.down(), s.blockHb, n, s.blockXb);
            add(s.blockX, 0, s.blockXb, 0, n * dim);
        }
    }

    /** The logits of the block just run, from position {@code logitsFrom} on, to {@code consumer}. */
    private void blockLogits(InferenceState s, int start, int n, int logitsFrom, LogitsConsumer consumer) {
        int first = Math.max(0, logitsFrom - start);
        if (first >= n) {
            return;
        }
        int dim = config.embeddingLength();
        float eps = config.rmsEpsilon();
        int vocabulary = config.vocabularySize();
        if (s.blockLogits == null) {
            s.blockLogits = new float[InferenceState.BLOCK * vocabulary];
        }
        for (int t = first; t < n; t++) {
            rmsnorm(s.blockXb, (t - first) * dim, s.blockX, t * dim, weights.outputNorm(), dim, eps);
        }
        s.matmulBlock(weights.output(), s.blockXb, n - first, s.blockLogits);
        for (int t = first; t < n; t++) {
            System.arraycopy(s.blockLogits, (t - first) * vocabulary, s.logits, 0, vocabulary);
            consumer.accept(start + t, s.logits);
        }
    }

    /** Attention of query heads [from, to) of the token run last by {@link #forward}. */
    private void attend(InferenceState s, int from, int to) {
        int headSize = config.headSize();
        int valueSize = config.valueHeadSize();
        for (int h = from; h < to; h++) {
            attendHead(s, s.position, h, s.q, h * headSize, s.heads, h * valueSize);
        }
    }

    /** Attention of query heads [from, to) for every token of the block {@link #ingest} runs. */
    private void attendBlock(InferenceState s, int from, int to) {
        int headSize = config.headSize();
        int valueSize = config.valueHeadSize();
        int queryDim = config.queryDim();
        int headsDim = config.headCount() * valueSize;
        for (int h = from; h < to; h++) {
            for (int t = 0; t < s.blockTokens; t++) {
                attendHead(s, s.blockStart + t, h, s.blockQ, t * queryDim + h * headSize,
                        s.blockHeads, t * headsDim + h * valueSize);
            }
        }
    }

    /**
     * Scaled dot-product attention of query head {@code h} of the token at {@code pos} (its query
     * at {@code q[qOffset..]}, its output to {@code out[outOffset..]}) over the cached positions
     * this one may see: all earlier ones, or the last {@code slidingWindow} of them (itself included).
     */
    private void attendHead(InferenceState s, int pos, int h, float[] q, int qOffset, float[] out, int outOffset) {
        LlamaConfig c = config;
        int l = s.layer;
        int start = c.slidingWindow() > 0 ? Math.max(0, pos - c.slidingWindow() + 1) : 0;
        int span = pos - start + 1;
        int headSize = c.headSize();
        int valueSize = c.valueHeadSize();
        KVCache kv = s.kv;
        int kvHead = h / c.groupSize();
        int scores = h * s.attRow;
        for (int t = start; t <= pos; t++) {
            float[] keys = kv.keyPage(l, t);
            int k = kv.keyOffset(t) + kvHead * headSize;
            s.att[scores + t - start] = dot(q, qOffset, keys, k, headSize) * attentionScale;
        }
        softmax(s.att, scores, span);
        Arrays.fill(out, outOffset, outOffset + valueSize, 0f);
        for (int t = start; t <= pos; t++) {
            float[] values = kv.valuePage(l, t);
            axpy(out, outOffset, s.att[scores + t - start], values, kv.valueOffset(t) + kvHead * valueSize, valueSize);
        }
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

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
        rotation(s, position);

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
            rotate(s, s.q, 0, c.headCount());
            rotate(s, keys, kOffset, c.headCountKv());
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

    /**
     * Scaled dot-product attention of query heads [from, to) over the cached positions this
     * one may see: all earlier ones, or the last {@code slidingWindow} of them (itself included).
     */
    private void attend(InferenceState s, int from, int to) {
        LlamaConfig c = config;
        int l = s.layer;
        int pos = s.position;
        int start = c.slidingWindow() > 0 ? Math.max(0, pos - c.slidingWindow() + 1) : 0;
        int span = pos - start + 1;
        int headSize = c.headSize();
        int valueSize = c.valueHeadSize();
        KVCache kv = s.kv;
        for (int h = from; h < to; h++) {
            int kvHead = h / c.groupSize();
            int scores = h * s.attRow;
            for (int t = start; t <= pos; t++) {
                float[] keys = kv.keyPage(l, t);
                int k = kv.keyOffset(t) + kvHead * headSize;
                s.att[scores + t - start] = dot(s.q, h * headSize, keys, k, headSize) * attentionScale;
            }
            softmax(s.att, scores, span);
            int out = h * valueSize;
            Arrays.fill(s.heads, out, out + valueSize, 0f);
            for (int t = start; t <= pos; t++) {
                float[] values = kv.valuePage(l, t);
                axpy(s.heads, out, s.att[scores + t - start], values, kv.valueOffset(t) + kvHead * valueSize, valueSize);
            }
        }
    }

    /** The cosines and sines of this position's rotary angles, shared by every head. */
    private void rotation(InferenceState s, int position) {
        double scaled = position / (double) config.ropeScale();
        for (int i = 0; i < ropeFrequencies.length; i++) {
            double angle = scaled * ropeFrequencies[i];
            s.ropeCos[i] = (float) Math.cos(angle);
            s.ropeSin[i] = (float) Math.sin(angle);
        }
    }

    /** Rotary embedding of {@code heads} consecutive heads: rotates each pair (2i, 2i+1). */
    private void rotate(InferenceState s, float[] v, int offset, int heads) {
        int headSize = config.headSize();
        for (int h = 0; h < heads; h++) {
            int base = offset + h * headSize;
            for (int i = 0; i < s.ropeCos.length; i++) {
                float cos = s.ropeCos[i];
                float sin = s.ropeSin[i];
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

package eu.souverain.engine.model;

import eu.souverain.engine.gguf.GGUFWriter;
import eu.souverain.engine.gguf.Metadata;
import eu.souverain.engine.tensor.GGMLType;
import eu.souverain.engine.tensor.Quantizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes llama-family GGUF files of any shape with seeded random weights: the models that tests
 * and benchmarks run, without downloading anything. Weights are normal with the given standard
 * deviation, norm weights are 1, and the tokenizer is copied from a real GGUF file, so the
 * result loads like any model. Tensors are generated one at a time while the file is written.
 */
public final class SyntheticModel {

    /**
     * A model's dimensions. {@code headSize} may differ from embedding/heads (as in Mistral Nemo);
     * {@code slidingWindow} 0 means none; {@code tiedOutput} leaves out output.weight;
     * {@code llama3Rope} adds Llama 3.1's rope frequency factors, with {@code context} as the
     * original training context.
     */
    public record Shape(int embedding, int layers, int heads, int kvHeads, int headSize, int feedForward,
                        int context, float ropeBase, int slidingWindow, boolean tiedOutput, boolean llama3Rope) {

        public static Shape tinyllama() {
            return new Shape(2048, 22, 32, 4, 64, 5632, 2048, 10000f, 0, false, false);
        }

        public static Shape mistral7b() {
            return new Shape(4096, 32, 32, 8, 128, 14336, 32768, 1_000_000f, 0, false, false);
        }
    }

    /**
     * How weights are drawn: matrices from N(0, std), norm weights from N(1, normStd). The
     * standard initialisation has std 0.02 and norms of exactly 1; tests jitter the norms so that
     * a forward pass that forgot to apply them would show.
     */
    public record Init(long seed, float std, float normStd) {
        public static Init standard(long seed) {
            return new Init(seed, 0.02f, 0f);
        }
    }

    private SyntheticModel() {}

    /**
     * Writes the model to {@code out}. Every matrix is stored as {@code type}, the norms as F32.
     * {@code tokenizer} supplies every {@code tokenizer.*} key and so the vocabulary size.
     */
    public static void write(Path out, Shape shape, GGMLType type, Init init, Metadata tokenizer)
            throws IOException {
        int vocabulary = tokenizer.getStringArray("tokenizer.ggml.tokens").length;
        GGUFWriter writer = new GGUFWriter()
                .putString("general.architecture", "llama")
                .putString("general.name", "synthetic-" + shape.embedding() + "x" + shape.layers() + "-" + type)
                .putUInt32("llama.context_length", shape.context())
                .putUInt32("llama.embedding_length", shape.embedding())
                .putUInt32("llama.block_count", shape.layers())
                .putUInt32("llama.feed_forward_length", shape.feedForward())
                .putUInt32("llama.attention.head_count", shape.heads())
                .putUInt32("llama.attention.head_count_kv", shape.kvHeads())
                .putUInt32("llama.attention.key_length", shape.headSize())
                .putUInt32("llama.attention.value_length", shape.headSize())
                .putUInt32("llama.rope.dimension_count", shape.headSize())
                .putFloat32("llama.rope.freq_base", shape.ropeBase())
                .putFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        if (shape.slidingWindow() > 0) {
            writer.putUInt32("llama.attention.sliding_window", shape.slidingWindow());
        }
        writer.copyMetadata(tokenizer, key -> key.startsWith("tokenizer."));

        Tensors tensors = new Tensors(writer, type, init);
        int dim = shape.embedding();
        int qDim = shape.heads() * shape.headSize();
        int kvDim = shape.kvHeads() * shape.headSize();
        tensors.matrix("token_embd.weight", vocabulary, dim);
        for (int i = 0; i < shape.layers(); i++) {
            String p = "blk." + i + ".";
            tensors.norm(p + "attn_norm.weight", dim);
            tensors.matrix(p + "attn_q.weight", qDim, dim);
            tensors.matrix(p + "attn_k.weight", kvDim, dim);
            tensors.matrix(p + "attn_v.weight", kvDim, dim);
            tensors.matrix(p + "attn_output.weight", dim, qDim);
            tensors.norm(p + "ffn_norm.weight", dim);
            tensors.matrix(p + "ffn_gate.weight", shape.feedForward(), dim);
            tensors.matrix(p + "ffn_up.weight", shape.feedForward(), dim);
            tensors.matrix(p + "ffn_down.weight", dim, shape.feedForward());
        }
        tensors.norm("output_norm.weight", dim);
        if (!shape.tiedOutput()) {
            tensors.matrix("output.weight", vocabulary, dim);
        }
        if (shape.llama3Rope()) {
            float[] factors = llama3RopeFactors(shape.headSize(), shape.ropeBase(), shape.context());
            writer.addTensor("rope_freqs.weight", GGMLType.F32, new long[] {factors.length},
                    Quantizer.quantize(GGMLType.F32, factors));
        }
        writer.write(out);
    }

    /**
     * Llama 3.1's published rope scaling (factor 8, low-frequency factor 1, high-frequency factor
     * 4): frequencies whose wavelength exceeds the original context are slowed down 8 times, short
     * wavelengths are kept, and the band between is interpolated. Stored as divisors of theta.
     */
    static float[] llama3RopeFactors(int dimensions, float base, int originalContext) {
        double factor = 8, lowFrequencyFactor = 1, highFrequencyFactor = 4;
        double lowWavelength = originalContext / lowFrequencyFactor;
        double highWavelength = originalContext / highFrequencyFactor;
        float[] factors = new float[dimensions / 2];
        for (int i = 0; i < factors.length; i++) {
            double wavelength = 2 * Math.PI / Math.pow(base, -2.0 * i / dimensions);
            if (wavelength < highWavelength) {
                factors[i] = 1f;
            } else if (wavelength > lowWavelength) {
                factors[i] = (float) factor;
            } else {
                double smooth = (originalContext / wavelength - lowFrequencyFactor)
                        / (highFrequencyFactor - lowFrequencyFactor);
                factors[i] = (float) (1 / ((1 - smooth) / factor + smooth));
            }
        }
        return factors;
    }

    /** Adds tensors whose values are drawn when the writer asks for them, each from its own seed. */
    private record Tensors(GGUFWriter writer, GGMLType type, Init init) {

        void matrix(String name, int rows, int cols) {
            writer.addTensor(name, type, new long[] {cols, rows},
                    () -> Quantizer.quantize(type, draw(name, Math.multiplyExact(rows, cols), 0f, init.std())));
        }

        void norm(String name, int length) {
            writer.addTensor(name, GGMLType.F32, new long[] {length},
                    Quantizer.quantize(GGMLType.F32, draw(name, length, 1f, init.normStd())));
        }

        private float[] draw(String name, int count, float mean, float std) {
            SplittableRandom random = new SplittableRandom(init.seed() * 31 + name.hashCode());
            float[] values = new float[count];
            for (int i = 0; i < count; i++) {
                values[i] = (float) (mean + random.nextGaussian() * std);
            }
            return values;
        }
    }
}

package eu.souverain.engine.model;

import eu.souverain.engine.gguf.GGUFWriter;
import eu.souverain.engine.gguf.Metadata;
import eu.souverain.engine.tensor.GGMLType;
import eu.souverain.engine.tensor.Quantizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * Writes llama-family GGUF files of any shape with seeded random weights: the models that tests
 * and benchmarks run, without downloading anything. Weights are normal with the given standard
 * deviation, norm weights are 1, and the tokenizer is copied from a real GGUF file, so the
 * result loads like any model. Tensors are generated one at a time while the file is written, so
 * memory holds at most one tensor however large the file; the rows of a tensor are drawn and
 * quantized in parallel, in chunks that each have their own seed, so the bytes do not depend on
 * the number of threads.
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

    /**
     * How a file stores its matrices: the file type's name and llama.cpp's number for it (the
     * {@code general.file_type} key, LLAMA_FTYPE) and the type of each matrix, chosen by its
     * tensor name. Norms are always F32.
     */
    public record FileType(String name, int id, Function<String, GGMLType> matrixType) {

        /**
         * Every matrix as {@code type}, under the number llama.cpp gives a file mostly of that
         * type (Q4_K and Q5_K as llama-quantize --pure writes their _M file types).
         */
        public static FileType uniform(GGMLType type) {
            int id = switch (type) {
                case F32 -> 0;
                case F16 -> 1;
                case Q4_0 -> 2;
                case Q8_0 -> 7;
                case Q4_K -> 15;
                case Q5_K -> 17;
                case Q6_K -> 18;
                case BF16 -> 32;
                default -> throw new IllegalArgumentException("cannot write matrices of tensor type " + type);
            };
            return new FileType(type.name(), id, name -> type);
        }

        /**
         * A file type as llama.cpp's llama-quantize makes it for a model of this shape: F16 and
         * Q8_0 store every matrix in that type; Q4_0 keeps the output matrix at Q6_K; Q4_K_M is
         * Q4_K with the output matrix at Q6_K, and attn_v and ffn_down at Q6_K in the layers
         * {@link #usesMoreBits} picks. A tied output makes the token embedding the output matrix.
         */
        public static FileType llamaCpp(String name, Shape shape) {
            String output = shape.tiedOutput() ? "token_embd.weight" : "output.weight";
            return switch (name) {
                case "F16" -> uniform(GGMLType.F16);
                case "Q8_0" -> uniform(GGMLType.Q8_0);
                case "Q4_0" -> new FileType(name, 2,
                        tensor -> tensor.equals(output) ? GGMLType.Q6_K : GGMLType.Q4_0);
                case "Q4_K_M" -> new FileType(name, 15, tensor -> {
                    if (tensor.equals(output)) {
                        return GGMLType.Q6_K;
                    }
                    boolean sensitive = tensor.endsWith(".attn_v.weight") || tensor.endsWith(".ffn_down.weight");
                    return sensitive && usesMoreBits(layerOf(tensor), shape.layers()) ? GGMLType.Q6_K : GGMLType.Q4_K;
                });
                default -> throw new IllegalArgumentException("unknown file type '" + name
                        + "': choose F16, Q8_0, Q4_0 or Q4_K_M");
            };
        }

        /**
         * llama.cpp's choice of the layers whose attn_v and ffn_down get more bits: the first and
         * last eighth of the layers, and every third layer in between.
         */
        static boolean usesMoreBits(int layer, int layers) {
            return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
        }

        private static int layerOf(String tensor) {
            if (!tensor.startsWith("blk.")) {
                throw new IllegalArgumentException("tensor '" + tensor + "' is not in a layer");
            }
            return Integer.parseInt(tensor.substring(4, tensor.indexOf('.', 4)));
        }
    }

    private SyntheticModel() {}

    /**
     * Writes the model to {@code out}. Every matrix is stored as {@code type}, the norms as F32.
     * {@code tokenizer} supplies every {@code tokenizer.*} key and so the vocabulary size.
     */
    public static void write(Path out, Shape shape, GGMLType type, Init init, Metadata tokenizer)
            throws IOException {
        write(out, "synthetic-" + shape.embedding() + "x" + shape.layers() + "-" + type, shape,
                FileType.uniform(type), init, tokenizer);
    }

    /**
     * Writes the model to {@code out} under {@code general.name} {@code name}, each matrix in the
     * type {@code fileType} chooses for it, the norms as F32. {@code tokenizer} supplies every
     * {@code tokenizer.*} key and so the vocabulary size.
     */
    public static void write(Path out, String name, Shape shape, FileType fileType, Init init, Metadata tokenizer)
            throws IOException {
        int vocabulary = tokenizer.getStringArray("tokenizer.ggml.tokens").length;
        GGUFWriter writer = new GGUFWriter()
                .putString("general.architecture", "llama")
                .putString("general.name", name)
                .putUInt32("general.file_type", fileType.id())
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

        Tensors tensors = new Tensors(writer, fileType.matrixType(), init);
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

    /** Adds tensors whose values are drawn when the writer asks for them, each from its own seeds. */
    private record Tensors(GGUFWriter writer, Function<String, GGMLType> matrixType, Init init) {

        /** Rows drawn and quantized together: enough work per task, small enough to spread well. */
        private static final int CHUNK_ROWS = 32;

        void matrix(String name, int rows, int cols) {
            GGMLType type = matrixType.apply(name);
            writer.addTensor(name, type, new long[] {cols, rows}, () -> quantizedRows(name, type, rows, cols));
        }

        void norm(String name, int length) {
            writer.addTensor(name, GGMLType.F32, new long[] {length},
                    Quantizer.quantize(GGMLType.F32, draw(seed(name, 0), length, 1f, init.normStd())));
        }

        /** The matrix's bytes; each chunk of rows is drawn from its own seed, chunks in parallel. */
        private byte[] quantizedRows(String name, GGMLType type, int rows, int cols) {
            long rowBytes = type.byteSize(cols);
            long size = Math.multiplyExact(rowBytes, rows);
            if (size > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("tensor '" + name + "' takes " + size + " bytes, more than one array holds");
            }
            byte[] bytes = new byte[(int) size];
            int chunks = (rows + CHUNK_ROWS - 1) / CHUNK_ROWS;
            IntStream.range(0, chunks).parallel().forEach(chunk -> {
                int from = chunk * CHUNK_ROWS;
                int count = Math.min(CHUNK_ROWS, rows - from);
                byte[] quantized = Quantizer.quantize(type, draw(seed(name, chunk), count * cols, 0f, init.std()));
                System.arraycopy(quantized, 0, bytes, (int) (from * rowBytes), quantized.length);
            });
            return bytes;
        }

        /**
         * A well-mixed seed per tensor and chunk: SplittableRandom takes its seed as its starting
         * state, so seeds that differ by a multiple of its increment would give shifted copies of
         * one stream; mixing first makes the starting states unrelated.
         */
        private long seed(String name, int chunk) {
            return mix64(mix64(init.seed() * 31 + name.hashCode()) + chunk);
        }

        private static float[] draw(long seed, int count, float mean, float std) {
            SplittableRandom random = new SplittableRandom(seed);
            float[] values = new float[count];
            for (int i = 0; i < count; i++) {
                values[i] = (float) (mean + random.nextGaussian() * std);
            }
            return values;
        }

        /** Stafford's variant 13 of the MurmurHash3 finalizer: every input bit moves every output bit. */
        private static long mix64(long z) {
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }
    }
}

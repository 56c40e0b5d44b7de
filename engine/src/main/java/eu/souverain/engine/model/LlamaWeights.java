package eu.souverain.engine.model;

import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.gguf.GGUFFormatException;
import eu.souverain.engine.gguf.TensorInfo;
import eu.souverain.engine.tensor.GGMLType;
import eu.souverain.engine.tensor.Matrix;
import eu.souverain.engine.tensor.ScalarReference;

/**
 * The weights of a llama-family model, named as GGUF names them. Matrices stay in the mapped
 * file in their stored type; only the small norm vectors are copied out as floats.
 *
 * @param output      the output projection; the token embedding itself when the file ties them
 * @param ropeFactors Llama 3's per-frequency rope divisors ({@code rope_freqs.weight}), or null
 */
public record LlamaWeights(
        Matrix tokenEmbedding,
        float[] outputNorm,
        Matrix output,
        float[] ropeFactors,
        Layer[] layers) {

    /** One transformer block. */
    public record Layer(
            float[] attentionNorm,
            Matrix wq,
            Matrix wk,
            Matrix wv,
            Matrix wo,
            float[] ffnNorm,
            Matrix gate,
            Matrix up,
            Matrix down) {}

    /** Binds every tensor the configuration needs, checking each one's shape and type. */
    public static LlamaWeights load(GGUFFile file, LlamaConfig c) {
        Matrix embedding = matrix(file, "token_embd.weight", c.vocabularySize(), c.embeddingLength());
        Matrix output = file.findTensor("output.weight").isPresent()
                ? matrix(file, "output.weight", c.vocabularySize(), c.embeddingLength())
                : embedding;
        float[] ropeFactors = file.findTensor("rope_freqs.weight").isPresent()
                ? vector(file, "rope_freqs.weight", c.ropeDimensions() / 2)
                : null;
        Layer[] layers = new Layer[c.blockCount()];
        for (int i = 0; i < layers.length; i++) {
            String p = "blk." + i + ".";
            layers[i] = new Layer(
                    vector(file, p + "attn_norm.weight", c.embeddingLength()),
                    matrix(file, p + "attn_q.weight", c.queryDim(), c.embeddingLength()),
                    matrix(file, p + "attn_k.weight", c.keyDim(), c.embeddingLength()),
                    matrix(file, p + "attn_v.weight", c.valueDim(), c.embeddingLength()),
                    matrix(file, p + "attn_output.weight", c.embeddingLength(), c.headCount() * c.valueHeadSize()),
                    vector(file, p + "ffn_norm.weight", c.embeddingLength()),
                    matrix(file, p + "ffn_gate.weight", c.feedForwardLength(), c.embeddingLength()),
                    matrix(file, p + "ffn_up.weight", c.feedForwardLength(), c.embeddingLength()),
                    matrix(file, p + "ffn_down.weight", c.embeddingLength(), c.feedForwardLength()));
        }
        return new LlamaWeights(embedding, vector(file, "output_norm.weight", c.embeddingLength()), output,
                ropeFactors, layers);
    }

    private static Matrix matrix(GGUFFile file, String name, int rows, int cols) {
        TensorInfo t = file.tensor(name);
        if (t.shape().length != 2 || t.columns() != cols || t.rows() != rows) {
            throw new GGUFFormatException("tensor '" + name + "' has shape " + java.util.Arrays.toString(t.shape())
                    + ", expected [" + cols + ", " + rows + "] for this model's configuration");
        }
        if (!t.type().hasKernel()) {
            throw new UnsupportedModelException("tensor '" + name + "' has type " + t.type()
                    + ", which the engine cannot compute with yet (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K)");
        }
        return Matrix.of(t.type(), file.data(t), rows, cols);
    }

    private static float[] vector(GGUFFile file, String name, int length) {
        TensorInfo t = file.tensor(name);
        if (t.elementCount() != length) {
            throw new GGUFFormatException("tensor '" + name + "' has " + t.elementCount()
                    + " elements, expected " + length);
        }
        if (t.type() != GGMLType.F32 && t.type() != GGMLType.F16 && t.type() != GGMLType.BF16) {
            throw new UnsupportedModelException("vector tensor '" + name + "' has type " + t.type()
                    + "; expected F32, F16 or BF16");
        }
        float[] values = new float[length];
        ScalarReference.dequantize(t.type(), file.data(t), 0, values, 0, length);
        return values;
    }
}

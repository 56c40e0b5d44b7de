package eu.souverain.engine.model;

import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.gguf.Metadata;
import eu.souverain.engine.gguf.TensorInfo;
import eu.souverain.engine.tensor.ScalarReference;
import eu.souverain.engine.tensor.GGMLType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * The llama forward pass written the slowest, plainest way: weights dequantized to doubles by the
 * scalar reference, every sum accumulated in double, one loop per formula, configuration read
 * straight from the metadata. It shares no code with the engine's forward pass, so the two
 * agreeing means the engine computes what the maths says. A Q4_0, Q4_K or Q6_K matrix multiplies its input
 * quantized to 8 bits per run of 32 (scale max |x| / 127, quants rounded), as llama.cpp's and
 * the engine's integer kernels do.
 */
final class ReferenceLlama {

    private final int dim, layers, heads, kvHeads, headSize, ropeDims, window, vocabulary;
    private final double eps, ropeBase;
    private final double[] ropeFactors;
    private final double[][] embedding, output;
    private final double[] outputNorm;
    private final double[][] attnNorm, ffnNorm;
    private final double[][][] wq, wk, wv, wo, gate, up, down;
    private final List<double[][]> keys = new ArrayList<>();    // [position][layer][kvHeads*headSize]
    private final List<double[][]> values = new ArrayList<>();
    private final Set<double[][]> eightBitInput = Collections.newSetFromMap(new IdentityHashMap<>());

    ReferenceLlama(GGUFFile file) {
        Metadata m = file.metadata();
        dim = m.getInt("llama.embedding_length");
        layers = m.getInt("llama.block_count");
        heads = m.getInt("llama.attention.head_count");
        kvHeads = m.getInt("llama.attention.head_count_kv");
        headSize = m.getInt("llama.attention.key_length", dim / heads);
        ropeDims = m.getInt("llama.rope.dimension_count", headSize);
        window = m.getInt("llama.attention.sliding_window", 0);
        eps = m.getFloat("llama.attention.layer_norm_rms_epsilon");
        ropeBase = m.getFloat("llama.rope.freq_base", 10000f);
        embedding = matrix(file, "token_embd.weight");
        vocabulary = embedding.length;
        output = file.findTensor("output.weight").isPresent() ? matrix(file, "output.weight") : embedding;
        outputNorm = vector(file, "output_norm.weight");
        ropeFactors = file.findTensor("rope_freqs.weight").isPresent() ? vector(file, "rope_freqs.weight") : null;
        attnNorm = new double[layers][];
        ffnNorm = new double[layers][];
        wq = new double[layers][][];
        wk = new double[layers][][];
        wv = new double[layers][][];
        wo = new double[layers][][];
        gate = new double[layers][][];
        up = new double[layers][][];
        down = new double[layers][][];
        for (int l = 0; l < layers; l++) {
            String p = "blk." + l + ".";
            attnNorm[l] = vector(file, p + "attn_norm.weight");
            ffnNorm[l] = vector(file, p + "ffn_norm.weight");
            wq[l] = matrix(file, p + "attn_q.weight");
            wk[l] = matrix(file, p + "attn_k.weight");
            wv[l] = matrix(file, p + "attn_v.weight");
            wo[l] = matrix(file, p + "attn_output.weight");
            gate[l] = matrix(file, p + "ffn_gate.weight");
            up[l] = matrix(file, p + "ffn_up.weight");
            down[l] = matrix(file, p + "ffn_down.weight");
        }
    }

    /** Logits after running {@code token} at the next position. */
    double[] forward(int token) {
        return matmul(output, hidden(token));
    }

    /**
     * The mean over {@code tokens}, run from the next position on, of the final hidden state after
     * the output norm: the sentence embedding before it is scaled to unit length.
     */
    double[] meanHiddenState(int[] tokens) {
        double[] mean = new double[dim];
        for (int token : tokens) {
            add(mean, hidden(token));
        }
        for (int i = 0; i < dim; i++) {
            mean[i] /= tokens.length;
        }
        return mean;
    }

    /** The final hidden state, after the output norm, of {@code token} run at the next position. */
    private double[] hidden(int token) {
        int pos = keys.size();
        double[] x = embedding[token].clone();
        double[][] k = new double[layers][];
        double[][] v = new double[layers][];
        keys.add(k);
        values.add(v);
        for (int l = 0; l < layers; l++) {
            double[] xb = rmsnorm(x, attnNorm[l]);
            double[] q = rope(matmul(wq[l], xb), pos);
            k[l] = rope(matmul(wk[l], xb), pos);
            v[l] = matmul(wv[l], xb);
            double[] attended = new double[heads * headSize];
            int first = window > 0 ? Math.max(0, pos - window + 1) : 0;
            for (int h = 0; h < heads; h++) {
                int kvh = h / (heads / kvHeads);
                double[] scores = new double[pos + 1 - first];
                for (int t = first; t <= pos; t++) {
                    double s = 0;
                    for (int i = 0; i < headSize; i++) {
                        s += q[h * headSize + i] * keys.get(t)[l][kvh * headSize + i];
                    }
                    scores[t - first] = s / Math.sqrt(headSize);
                }
                softmax(scores);
                for (int t = first; t <= pos; t++) {
                    for (int i = 0; i < headSize; i++) {
                        attended[h * headSize + i] += scores[t - first] * values.get(t)[l][kvh * headSize + i];
                    }
                }
            }
            add(x, matmul(wo[l], attended));
            xb = rmsnorm(x, ffnNorm[l]);
            double[] g = matmul(gate[l], xb);
            double[] u = matmul(up[l], xb);
            for (int i = 0; i < g.length; i++) {
                g[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
            }
            add(x, matmul(down[l], g));
        }
        return rmsnorm(x, outputNorm);
    }

    int vocabulary() {
        return vocabulary;
    }

    private double[] rope(double[] vec, int pos) {
        for (int base = 0; base < vec.length; base += headSize) {
            for (int i = 0; i < ropeDims / 2; i++) {
                double theta = pos * Math.pow(ropeBase, -2.0 * i / ropeDims);
                if (ropeFactors != null) {
                    theta /= ropeFactors[i];
                }
                double a = vec[base + 2 * i];
                double b = vec[base + 2 * i + 1];
                vec[base + 2 * i] = a * Math.cos(theta) - b * Math.sin(theta);
                vec[base + 2 * i + 1] = a * Math.sin(theta) + b * Math.cos(theta);
            }
        }
        return vec;
    }

    private double[] rmsnorm(double[] x, double[] weight) {
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double scale = 1 / Math.sqrt(ss / x.length + eps);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * scale * weight[i];
        }
        return out;
    }

    private double[] matmul(double[][] w, double[] x) {
        if (eightBitInput.contains(w)) {
            x = eightBit(x);
        }
        double[] out = new double[w.length];
        for (int r = 0; r < w.length; r++) {
            double s = 0;
            for (int c = 0; c < x.length; c++) {
                s += w[r][c] * x[c];
            }
            out[r] = s;
        }
        return out;
    }

    private static double[] eightBit(double[] x) {
        double[] out = new double[x.length];
        for (int from = 0; from < x.length; from += 32) {
            double max = 0;
            for (int i = from; i < from + 32; i++) {
                max = Math.max(max, Math.abs(x[i]));
            }
            double d = max / 127;
            for (int i = from; i < from + 32; i++) {
                out[i] = d == 0 ? 0 : Math.round(x[i] / d) * d;
            }
        }
        return out;
    }

    private static void softmax(double[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.exp(x[i] - max);
            sum += x[i];
        }
        for (int i = 0; i < x.length; i++) {
            x[i] /= sum;
        }
    }

    private static void add(double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) {
            x[i] += y[i];
        }
    }

    private double[][] matrix(GGUFFile file, String name) {
        TensorInfo t = file.tensor(name);
        int rows = Math.toIntExact(t.rows());
        int cols = Math.toIntExact(t.columns());
        float[] flat = new float[rows * cols];
        ScalarReference.dequantize(t.type(), file.data(t), 0, flat, 0, flat.length);
        double[][] m = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                m[r][c] = flat[r * cols + c];
            }
        }
        if (t.type() == GGMLType.Q4_0 || t.type() == GGMLType.Q4_K || t.type() == GGMLType.Q6_K) {
            eightBitInput.add(m);
        }
        return m;
    }

    private static double[] vector(GGUFFile file, String name) {
        TensorInfo t = file.tensor(name);
        float[] flat = new float[Math.toIntExact(t.elementCount())];
        ScalarReference.dequantize(t.type(), file.data(t), 0, flat, 0, flat.length);
        double[] v = new double[flat.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = flat[i];
        }
        return v;
    }
}

package eu.souverain.engine.model;

import eu.souverain.engine.gguf.GGUFFormatException;
import eu.souverain.engine.gguf.Metadata;

/**
 * The hyper-parameters of a model of the {@code llama} family, read from GGUF metadata.
 *
 * <p>The family covers Llama 2, Llama 3.x, TinyLlama, Mistral 7B and the Mistral Nemo /
 * Ministral shapes: they differ only in these numbers (head size apart from embedding/heads in
 * Nemo, a sliding window in Mistral 7B v0.1, rope base and scaling in Llama 3).
 *
 * @param headSize      key/query head size ({@code attention.key_length}, else embedding/heads)
 * @param valueHeadSize value head size ({@code attention.value_length}, else headSize)
 * @param ropeDimensions how many leading dimensions of each head rotate ({@code rope.dimension_count})
 * @param ropeScale     linear rope scaling: positions are divided by it (1 = none)
 * @param slidingWindow each position attends to at most this many positions, itself included (0 = all)
 */
public record LlamaConfig(
        int embeddingLength,
        int blockCount,
        int headCount,
        int headCountKv,
        int headSize,
        int valueHeadSize,
        int feedForwardLength,
        int vocabularySize,
        int contextLength,
        float rmsEpsilon,
        float ropeFreqBase,
        int ropeDimensions,
        float ropeScale,
        int slidingWindow) {

    public static final String ARCHITECTURE = "llama";

    public LlamaConfig {
        require(embeddingLength > 0, "embedding_length must be positive");
        require(blockCount > 0, "block_count must be positive");
        require(headCount > 0 && headCountKv > 0, "head counts must be positive");
        require(headCount % headCountKv == 0,
                "attention.head_count " + headCount + " is not a multiple of head_count_kv " + headCountKv);
        require(headSize > 0 && valueHeadSize > 0, "head sizes must be positive");
        require(ropeDimensions > 0 && ropeDimensions <= headSize && ropeDimensions % 2 == 0,
                "rope.dimension_count " + ropeDimensions + " must be even and at most the head size " + headSize);
        require(feedForwardLength > 0, "feed_forward_length must be positive");
        require(vocabularySize > 0, "vocabulary size must be positive");
        require(contextLength > 0, "context length must be positive");
        require(ropeScale > 0, "rope scaling factor must be positive");
        require(slidingWindow >= 0, "sliding window must not be negative");
    }

    /**
     * Reads the configuration; refuses other architectures by name. {@code vocabularySize} comes
     * from the token embedding's shape, which is what the weights actually hold.
     */
    public static LlamaConfig from(Metadata metadata, int vocabularySize) {
        requireLlama(metadata);
        String p = ARCHITECTURE + ".";
        int expertCount = metadata.getInt(p + "expert_count", 0);
        if (expertCount > 0) {
            throw new UnsupportedModelException("mixture-of-experts models (" + expertCount
                    + " experts, e.g. Mixtral) are not supported yet");
        }
        int embedding = metadata.getInt(p + "embedding_length");
        int heads = metadata.getInt(p + "attention.head_count");
        int headSize = metadata.getInt(p + "attention.key_length", heads > 0 ? embedding / heads : 0);
        String scalingType = metadata.findString(p + "rope.scaling.type").orElse("none");
        float ropeScale = switch (scalingType) {
            case "none" -> 1f;
            case "linear" -> metadata.getFloat(p + "rope.scaling.factor", 1f);
            default -> throw new UnsupportedModelException("rope scaling type '" + scalingType
                    + "' is not supported (supported: none, linear, and Llama 3 frequency factors)");
        };
        return new LlamaConfig(
                embedding,
                metadata.getInt(p + "block_count"),
                heads,
                metadata.getInt(p + "attention.head_count_kv", heads),
                headSize,
                metadata.getInt(p + "attention.value_length", headSize),
                metadata.getInt(p + "feed_forward_length"),
                vocabularySize,
                metadata.getInt(p + "context_length"),
                metadata.getFloat(p + "attention.layer_norm_rms_epsilon", 1e-5f),
                metadata.getFloat(p + "rope.freq_base", 10000f),
                metadata.getInt(p + "rope.dimension_count", headSize),
                ropeScale == 0 ? 1f : ropeScale,
                metadata.getInt(p + "attention.sliding_window", 0));
    }

    /** Refuses, by name, any architecture other than the llama family. */
    public static void requireLlama(Metadata metadata) {
        String architecture = metadata.getString("general.architecture");
        if (!ARCHITECTURE.equals(architecture)) {
            throw new UnsupportedModelException("architecture '" + architecture
                    + "' is not supported; Souverain runs the 'llama' family (Llama 2/3, Mistral, TinyLlama)");
        }
    }

    /** The same model run with a different context length (the CLI's --context). */
    public LlamaConfig withContextLength(int length) {
        return new LlamaConfig(embeddingLength, blockCount, headCount, headCountKv, headSize, valueHeadSize,
                feedForwardLength, vocabularySize, length, rmsEpsilon, ropeFreqBase, ropeDimensions, ropeScale,
                slidingWindow);
    }

    public int queryDim() {
        return headCount * headSize;
    }

    public int keyDim() {
        return headCountKv * headSize;
    }

    public int valueDim() {
        return headCountKv * valueHeadSize;
    }

    /** Query heads that share one key/value head (grouped-query attention). */
    public int groupSize() {
        return headCount / headCountKv;
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new GGUFFormatException("invalid model configuration: " + message);
        }
    }
}

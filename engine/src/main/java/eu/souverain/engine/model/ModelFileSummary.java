package eu.souverain.engine.model;

import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.gguf.Metadata;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a model file says of itself in its header, read without loading its weights: for lists of
 * models. A value the file does not give is null.
 *
 * @param quantization the file type llama-quantize wrote (Q4_K_M, Q8_0, ...)
 * @param architecture general.architecture (llama, ...)
 * @param context      the context length it was trained for
 */
public record ModelFileSummary(String quantization, String architecture, Long context) {

    /** general.file_type as llama.cpp numbers it. */
    private static final Map<Integer, String> FILE_TYPES = Map.ofEntries(Map.entry(0, "F32"), Map.entry(1, "F16"),
            Map.entry(2, "Q4_0"), Map.entry(3, "Q4_1"), Map.entry(7, "Q8_0"), Map.entry(8, "Q5_0"),
            Map.entry(9, "Q5_1"), Map.entry(10, "Q2_K"), Map.entry(11, "Q3_K_S"), Map.entry(12, "Q3_K_M"),
            Map.entry(13, "Q3_K_L"), Map.entry(14, "Q4_K_S"), Map.entry(15, "Q4_K_M"), Map.entry(16, "Q5_K_S"),
            Map.entry(17, "Q5_K_M"), Map.entry(18, "Q6_K"), Map.entry(32, "BF16"));

    /** The summary of the GGUF file at {@code file}; a file that is not one fails as opening it does. */
    public static ModelFileSummary read(Path file) throws IOException {
        try (GGUFFile gguf = GGUFFile.open(file)) {
            Metadata metadata = gguf.metadata();
            String quantization = null;
            if (metadata.has("general.file_type")) {
                int type = metadata.getInt("general.file_type");
                quantization = FILE_TYPES.getOrDefault(type, "type " + type);
            }
            String architecture = metadata.findString("general.architecture").orElse(null);
            Long context = architecture != null && metadata.has(architecture + ".context_length")
                    ? metadata.getLong(architecture + ".context_length") : null;
            return new ModelFileSummary(quantization, architecture, context);
        }
    }
}

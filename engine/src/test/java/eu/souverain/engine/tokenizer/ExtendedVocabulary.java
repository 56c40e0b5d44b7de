package eu.souverain.engine.tokenizer;

import eu.souverain.engine.gguf.GGUFArray;
import eu.souverain.engine.gguf.GGUFWriter;
import eu.souverain.engine.gguf.Metadata;
import eu.souverain.engine.gguf.ValueType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/** A real vocabulary with extra control tokens appended, as a model's GGUF file would list them. */
public final class ExtendedVocabulary {

    /** GGUF's token type for a control token. */
    private static final int CONTROL = 3;

    private ExtendedVocabulary() {}

    /** Writes {@code base}'s metadata to {@code file} with {@code controls} appended to its vocabulary as control tokens. */
    public static void write(Metadata base, Path file, String... controls) throws IOException {
        String[] tokens = base.getStringArray("tokenizer.ggml.tokens");
        int n = tokens.length;
        String[] texts = Arrays.copyOf(tokens, n + controls.length);
        long[] types = new long[n + controls.length];
        int[] baseTypes = base.findIntArray("tokenizer.ggml.token_type").orElseThrow();
        for (int i = 0; i < n; i++) {
            types[i] = baseTypes[i];
        }
        for (int i = 0; i < controls.length; i++) {
            texts[n + i] = controls[i];
            types[n + i] = CONTROL;
        }
        GGUFWriter writer = new GGUFWriter()
                .copyMetadata(base, key -> !key.equals("tokenizer.ggml.tokens") && !key.equals("tokenizer.ggml.scores")
                        && !key.equals("tokenizer.ggml.token_type"))
                .putArray("tokenizer.ggml.tokens", new GGUFArray(ValueType.STRING, texts))
                .putArray("tokenizer.ggml.token_type", new GGUFArray(ValueType.INT32, types));
        base.findFloatArray("tokenizer.ggml.scores").ifPresent(scores -> writer.putArray("tokenizer.ggml.scores",
                new GGUFArray(ValueType.FLOAT32, Arrays.copyOf(scores, n + controls.length))));
        writer.write(file);
    }
}

package eu.souverain.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import eu.souverain.engine.TestFiles;
import eu.souverain.engine.gguf.GGUFArray;
import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.gguf.GGUFWriter;
import eu.souverain.engine.gguf.Metadata;
import eu.souverain.engine.gguf.ValueType;
import eu.souverain.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class FillInTheMiddleTest {

    private static final long CONTROL = 3;

    @TempDir
    Path dir;

    /** Llama 2's vocabulary with extra control tokens, written as a GGUF file; its metadata. */
    static Metadata vocabularyWith(Path file, String... controls) throws IOException {
        try (GGUFFile base = GGUFFile.open(TestFiles.shared("models/tokenizers/ggml-vocab-llama-spm.gguf"))) {
            extend(base.metadata(), file, controls);
        }
        try (GGUFFile extended = GGUFFile.open(file)) {
            return extended.metadata();
        }
    }

    /** Writes {@code base}'s metadata with {@code controls} appended to its vocabulary as control tokens. */
    public static void extend(Metadata base, Path file, String... controls) throws IOException {
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

    @Test
    void mistralPutsTheSuffixFirst() throws IOException {
        Metadata metadata = vocabularyWith(dir.resolve("mistral.gguf"), "[SUFFIX]", "[PREFIX]", "[MIDDLE]");
        Tokenizer tokenizer = Tokenizer.fromMetadata(metadata);
        FillInTheMiddle fim = FillInTheMiddle.of(metadata, tokenizer);
        int[] prompt = fim.prompt(tokenizer, "def f(", "return x");
        int suffix = tokenizer.findToken("[SUFFIX]").orElseThrow();
        int prefix = tokenizer.findToken("[PREFIX]").orElseThrow();
        int middle = tokenizer.findToken("[MIDDLE]").orElseThrow();
        int[] after = tokenizer.encode("return x");
        int[] before = tokenizer.encode("def f(");
        assertThat(prompt[0]).isEqualTo(tokenizer.bosToken());
        assertThat(prompt[1]).isEqualTo(suffix);
        assertThat(Arrays.copyOfRange(prompt, 2, 2 + after.length)).containsExactly(after);
        assertThat(prompt[2 + after.length]).isEqualTo(prefix);
        assertThat(Arrays.copyOfRange(prompt, 3 + after.length, 3 + after.length + before.length)).containsExactly(before);
        assertThat(prompt[prompt.length - 1]).isEqualTo(middle);
    }

    @Test
    void qwenPutsThePrefixFirst() throws IOException {
        Metadata metadata = vocabularyWith(dir.resolve("qwen.gguf"), "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>");
        Tokenizer tokenizer = Tokenizer.fromMetadata(metadata);
        int[] prompt = FillInTheMiddle.of(metadata, tokenizer).prompt(tokenizer, "a", "b");
        assertThat(prompt[1]).isEqualTo(tokenizer.findToken("<|fim_prefix|>").orElseThrow());
        assertThat(prompt[prompt.length - 1]).isEqualTo(tokenizer.findToken("<|fim_middle|>").orElseThrow());
    }

    @Test
    void aVocabularyWithoutFimTokensHasNone() throws IOException {
        try (GGUFFile file = GGUFFile.open(TestFiles.shared("models/tokenizers/ggml-vocab-llama-spm.gguf"))) {
            assertThat(FillInTheMiddle.of(file.metadata(), Tokenizer.fromMetadata(file.metadata()))).isNull();
        }
    }
}

package eu.souverain.engine.prompt;

import static org.assertj.core.api.Assertions.assertThat;

import eu.souverain.engine.TestFiles;
import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.gguf.Metadata;
import eu.souverain.engine.tokenizer.ExtendedVocabulary;
import eu.souverain.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class FillInTheMiddleTest {


    @TempDir
    Path dir;

    /** Llama 2's vocabulary with extra control tokens, written as a GGUF file; its metadata. */
    static Metadata vocabularyWith(Path file, String... controls) throws IOException {
        try (GGUFFile base = GGUFFile.open(TestFiles.shared("models/tokenizers/ggml-vocab-llama-spm.gguf"))) {
            ExtendedVocabulary.write(base.metadata(), file, controls);
        }
        try (GGUFFile extended = GGUFFile.open(file)) {
            return extended.metadata();
        }
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

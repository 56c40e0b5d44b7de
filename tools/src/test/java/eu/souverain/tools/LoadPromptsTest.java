package eu.souverain.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import eu.souverain.engine.TestFiles;
import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LoadPromptsTest {

    @Test
    void everyWordIsOneTokenOfTheLlamaVocabulary() throws IOException {
        try (GGUFFile file = GGUFFile.open(TestFiles.shared("models/tokenizers/ggml-vocab-llama-spm.gguf"))) {
            Tokenizer tokenizer = Tokenizer.fromMetadata(file.metadata());
            assertThat(LoadPrompts.WORDS).doesNotHaveDuplicates().hasSizeGreaterThan(200);
            String prompt = new LoadPrompts(300, 100).prompt(5);
            assertThat(tokenizer.encode(prompt)).hasSize(300);
            assertThat(tokenizer.encode(String.join(" ", LoadPrompts.WORDS))).hasSize(LoadPrompts.WORDS.length);
        }
    }

    @Test
    void promptsShareExactlyTheirPrefixWords() {
        LoadPrompts prompts = new LoadPrompts(20, 12);
        List<List<String>> words = IntStream.range(0, 50).mapToObj(i -> List.of(prompts.prompt(i).split(" "))).toList();
        for (int i = 0; i < words.size(); i++) {
            assertThat(words.get(i)).hasSize(20);
            assertThat(words.get(i).subList(0, 12)).isEqualTo(words.getFirst().subList(0, 12));
            if (i > 0) {
                // Neighbours part right after the shared words, so a prefix cache cannot reuse more.
                assertThat(words.get(i).get(12)).isNotEqualTo(words.get(i - 1).get(12));
            }
        }
        assertThat(prompts.prompt(3)).isEqualTo(new LoadPrompts(20, 12).prompt(3));
    }

    @Test
    void noSharedPrefixOrNothingButIt() {
        assertThat(new LoadPrompts(5, 0).prompt(0).split(" ")).hasSize(5);
        assertThat(new LoadPrompts(1, 0).prompt(7)).isEqualTo(LoadPrompts.WORDS[7]);
        assertThat(new LoadPrompts(6, 6).prompt(1)).isEqualTo(new LoadPrompts(6, 6).prompt(2));
        assertThatThrownBy(() -> new LoadPrompts(3, 4)).isInstanceOf(IllegalArgumentException.class);
    }
}

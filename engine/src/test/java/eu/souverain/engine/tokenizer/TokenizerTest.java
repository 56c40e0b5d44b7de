package eu.souverain.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.engine.TestFiles;
import eu.souverain.engine.gguf.GGUFArray;
import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.gguf.GGUFFormatException;
import eu.souverain.engine.gguf.GGUFWriter;
import eu.souverain.engine.gguf.ValueType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.StreamSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerTest {

    @TempDir
    Path dir;

    @Test
    void encodesTheStories260KPromptAndDecodesItsGoldenContinuation() throws IOException {
        JsonNode golden = new ObjectMapper().readTree(TestFiles.shared("models/golden/stories260K-once-upon-a-time.json").toFile());
        Tokenizer tokenizer = VocabTestVectors.tokenizerOf("models/stories260K.gguf");
        assertThat(tokenizer.addBos()).isTrue();

        int[] prompt = SentencePieceTokenizerTest.concat(
                new int[] {tokenizer.bosToken()}, tokenizer.encode(golden.get("prompt").asText()));
        assertThat(prompt).containsExactly(ids(golden.get("prompt_token_ids")));

        // Streaming the prompt first is how generation uses the decoder: the prefix space is dropped
        // from the prompt's first word, so the continuation keeps its own spaces.
        TokenDecoder decoder = tokenizer.newDecoder();
        StringBuilder prompted = new StringBuilder();
        for (int id : prompt) {
            prompted.append(decoder.next(id));
        }
        assertThat(prompted.toString()).isEqualTo("Once upon a time");
        StringBuilder continuation = new StringBuilder();
        for (int id : ids(golden.get("generated_token_ids"))) {
            continuation.append(decoder.next(id));
        }
        assertThat(continuation.append(decoder.flush()).toString()).isEqualTo(golden.get("continuation").asText());
    }

    @Test
    void refusesWordPieceByName() {
        assertThatThrownBy(() -> VocabTestVectors.tokenizer("ggml-vocab-bert-bge"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'bert'")
                .hasMessageContaining("WordPiece");
    }

    @Test
    void refusesAnUnknownModel() {
        assertThatThrownBy(() -> fromMetadata(w -> w.putString("tokenizer.ggml.model", "rwkv")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown tokenizer model 'rwkv'");
    }

    @Test
    void refusesAnUnknownPreTokenizer() {
        assertThatThrownBy(() -> fromMetadata(w -> w
                .putString("tokenizer.ggml.model", "gpt2")
                .putString("tokenizer.ggml.pre", "qwen2")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'qwen2'")
                .hasMessageContaining("supported: gpt-2, default, llama-bpe, tekken");
    }

    @Test
    void refusesAVocabularyWithoutTokens() {
        assertThatThrownBy(() -> fromMetadata(w -> w.putString("tokenizer.ggml.model", "llama")))
                .isInstanceOf(GGUFFormatException.class)
                .hasMessageContaining("tokenizer.ggml.tokens");
    }

    @Test
    void refusesAMergeOfPiecesOutsideTheVocabulary() {
        assertThatThrownBy(() -> fromMetadata(w -> w
                .putString("tokenizer.ggml.model", "gpt2")
                .putString("tokenizer.ggml.pre", "gpt-2")
                .putArray("tokenizer.ggml.tokens", new GGUFArray(ValueType.STRING, new String[] {"a", "b"}))
                .putArray("tokenizer.ggml.merges", new GGUFArray(ValueType.STRING, new String[] {"a b"}))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("merge 0 'a b' uses 'ab', which is not in the vocabulary");
    }

    @Test
    void refusesASpecialTokenIdOutsideTheVocabulary() {
        assertThatThrownBy(() -> fromMetadata(w -> w
                .putString("tokenizer.ggml.model", "llama")
                .putArray("tokenizer.ggml.tokens", new GGUFArray(ValueType.STRING, new String[] {"a", "b"}))
                .putUInt32("tokenizer.ggml.eos_token_id", 7)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("EOS token id 7 is outside the vocabulary of 2 tokens");
    }

    private Tokenizer fromMetadata(Consumer<GGUFWriter> keys) throws IOException {
        GGUFWriter writer = new GGUFWriter();
        keys.accept(writer);
        Path path = dir.resolve("tokenizer.gguf");
        writer.write(path);
        try (GGUFFile file = GGUFFile.open(path)) {
            return Tokenizer.fromMetadata(file.metadata());
        }
    }

    private static int[] ids(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToInt(JsonNode::asInt).toArray();
    }
}

package eu.souverain.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import eu.souverain.engine.chat.PromptPart;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

class BytePairTokenizerTest {

    private static final Tokenizer GPT2 = VocabTestVectors.tokenizer("ggml-vocab-gpt-2");
    private static final VocabTestVectors VECTORS = VocabTestVectors.load("ggml-vocab-gpt-2");
    private static final int END_OF_TEXT = 50256;

    @TestFactory
    Stream<DynamicTest> encodesGpt2Vectors() {
        return SentencePieceTokenizerTest.vectorTests(GPT2, VECTORS);
    }

    @Test
    void decodingWhatWasEncodedGivesTheTextBack() {
        for (String text : VECTORS.texts()) {
            assertThat(GPT2.decode(GPT2.encode(text))).isEqualTo(text);
        }
    }

    @Test
    void readsTheSpecialTokensFromMetadata() {
        assertThat(GPT2).isInstanceOf(BytePairTokenizer.class);
        assertThat(GPT2.vocabularySize()).isEqualTo(50_257);
        assertThat(GPT2.bosToken()).isEqualTo(END_OF_TEXT);
        assertThat(GPT2.eosToken()).isEqualTo(END_OF_TEXT);
        assertThat(GPT2.addBos()).isFalse(); // GPT-2's pre-tokenizer does not add BOS, and the file does not ask for it
        assertThat(GPT2.isEndOfGeneration(END_OF_TEXT)).isTrue();
        assertThat(GPT2.isControl(END_OF_TEXT)).isTrue();
        assertThat(GPT2.tokenText(END_OF_TEXT)).isEqualTo("<|endoftext|>");
        assertThat(GPT2.findToken("\u0120Hello")).hasValue(18435);
    }

    @Test
    void tokenBytesUndoTheByteAlphabet() {
        assertThat(GPT2.tokenBytes(GPT2.findToken("\u0120Hello").orElseThrow())).isEqualTo(" Hello".getBytes(StandardCharsets.UTF_8));
        assertThat(GPT2.tokenBytes(GPT2.findToken("\u010A").orElseThrow())).containsExactly('\n');
        assertThat(GPT2.tokenBytes(END_OF_TEXT)).isEmpty();
        assertThat(GPT2.decode(new int[] {END_OF_TEXT})).isEmpty();
    }

    @Test
    void controlTokenTextTypedByAUserStaysText() {
        int[] plain = GPT2.encode("Hi<|endoftext|>");
        assertThat(plain).doesNotContain(END_OF_TEXT);
        assertThat(GPT2.decode(plain)).isEqualTo("Hi<|endoftext|>");
        assertThat(GPT2.encode("Hi<|endoftext|>", true)).containsExactly(
                SentencePieceTokenizerTest.concat(GPT2.encode("Hi"), new int[] {END_OF_TEXT}));
        assertThat(GPT2.encode(List.of(new PromptPart("<|endoftext|>", false), new PromptPart("<|endoftext|>", true))))
                .containsExactly(SentencePieceTokenizerTest.concat(GPT2.encode("<|endoftext|>"), new int[] {END_OF_TEXT}));
    }

    @Test
    void decoderHoldsBackACharacterUntilItsLastByte() {
        int splitting = 0;
        for (String text : VECTORS.texts()) {
            TokenDecoder decoder = GPT2.newDecoder();
            StringBuilder out = new StringBuilder();
            for (int id : GPT2.encode(text)) {
                if (!isCompleteUtf8(GPT2.tokenBytes(id))) {
                    splitting++;
                }
                String piece = decoder.next(id);
                assertThat(piece).doesNotContain("\uFFFD");
                out.append(piece);
            }
            assertThat(out.append(decoder.flush()).toString()).isEqualTo(text);
        }
        assertThat(splitting).as("tokens holding part of a character").isGreaterThan(10);
    }

    private static boolean isCompleteUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}

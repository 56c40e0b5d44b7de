package eu.souverain.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import eu.souverain.engine.chat.PromptPart;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

class SentencePieceTokenizerTest {

    private static final Tokenizer LLAMA = VocabTestVectors.tokenizer("ggml-vocab-llama-spm");
    private static final Tokenizer PHI3 = VocabTestVectors.tokenizer("ggml-vocab-phi-3");
    private static final VocabTestVectors LLAMA_VECTORS = VocabTestVectors.load("ggml-vocab-llama-spm");
    private static final VocabTestVectors PHI3_VECTORS = VocabTestVectors.load("ggml-vocab-phi-3");

    @TestFactory
    Stream<DynamicTest> encodesLlamaSpmVectors() {
        return vectorTests(LLAMA, LLAMA_VECTORS);
    }

    @TestFactory
    Stream<DynamicTest> encodesPhi3Vectors() {
        return vectorTests(PHI3, PHI3_VECTORS);
    }

    static Stream<DynamicTest> vectorTests(Tokenizer tokenizer, VocabTestVectors vectors) {
        return IntStream.range(0, vectors.texts().size()).mapToObj(i -> DynamicTest.dynamicTest(
                i + ": " + vectors.texts().get(i).replace("\n", "\\n").replace("\t", "\\t"),
                () -> assertThat(tokenizer.encode(vectors.texts().get(i)))
                        .as("ids of %s", vectors.texts().get(i))
                        .containsExactly(vectors.ids().get(i))));
    }

    @Test
    void decodingWhatWasEncodedGivesTheTextBack() {
        for (String text : LLAMA_VECTORS.texts()) {
            assertThat(LLAMA.decode(LLAMA.encode(text))).isEqualTo(text);
            assertThat(PHI3.decode(PHI3.encode(text))).isEqualTo(text);
        }
    }

    @Test
    void readsTheSpecialTokensFromMetadata() {
        assertThat(LLAMA).isInstanceOf(SentencePieceTokenizer.class);
        assertThat(LLAMA.vocabularySize()).isEqualTo(32_000);
        assertThat(LLAMA.bosToken()).isEqualTo(1);
        assertThat(LLAMA.eosToken()).isEqualTo(2);
        assertThat(LLAMA.addBos()).isTrue();
        assertThat(LLAMA.addEos()).isFalse();
        assertThat(LLAMA.isEndOfGeneration(2)).isTrue();
        assertThat(LLAMA.isEndOfGeneration(1)).isFalse();
        assertThat(LLAMA.isControl(1)).isTrue();
        assertThat(LLAMA.isControl(15043)).isFalse();
        assertThat(LLAMA.tokenText(15043)).isEqualTo("\u2581Hello");
        assertThat(LLAMA.findToken("\u2581Hello")).hasValue(15043);
        assertThat(LLAMA.findToken("no such piece")).isEmpty();

        // Phi-3 names <|endoftext|> as EOS, but its chat turns end with the control token <|end|>.
        assertThat(PHI3.eosToken()).isEqualTo(32000);
        assertThat(PHI3.isEndOfGeneration(32000)).isTrue();
        assertThat(PHI3.tokenText(32007)).isEqualTo("<|end|>");
        assertThat(PHI3.isEndOfGeneration(32007)).isTrue();
        assertThat(PHI3.isEndOfGeneration(32010)).isFalse();
    }

    @Test
    void tokenBytesAreWhatTheTokenAddsToText() {
        assertThat(LLAMA.tokenBytes(15043)).isEqualTo(" Hello".getBytes(StandardCharsets.UTF_8));
        assertThat(LLAMA.tokenBytes(LLAMA.findToken("<0x0A>").orElseThrow())).containsExactly(0x0A);
        assertThat(LLAMA.tokenBytes(LLAMA.findToken("<0xF0>").orElseThrow())).containsExactly(0xF0);
        assertThat(LLAMA.tokenBytes(1)).isEmpty();
        assertThat(LLAMA.tokenBytes(0)).isEmpty();
    }

    @Test
    void controlTokenTextTypedByAUserStaysText() {
        int[] plain = LLAMA.encode("<s>Hi</s>");
        assertThat(plain).doesNotContain(1, 2);
        assertThat(LLAMA.decode(plain)).isEqualTo("<s>Hi</s>");

        // The text after a special token gets SentencePiece's space prefix, as in llama.cpp.
        assertThat(LLAMA.encode("<s>Hi</s>", true)).containsExactly(concat(new int[] {1}, LLAMA.encode("Hi"), new int[] {2}));
        assertThat(PHI3.encode("<|user|>", false)).doesNotContain(32010);
        assertThat(PHI3.encode("<|user|>", true)).containsExactly(32010);
    }

    @Test
    void userDefinedEntriesAreMatchedEvenInPlainText() {
        // Phi-3 stores </s> as a user-defined entry (type 4): an ordinary piece, split out as llama.cpp does.
        assertThat(PHI3.encode("Hi</s>")).containsExactly(concat(PHI3.encode("Hi"), new int[] {2}));
        assertThat(PHI3.decode(PHI3.encode("Hi</s>"))).isEqualTo("Hi</s>");
    }

    @Test
    void specialTokensMatchTheLongestEntry() {
        // <|end|> and <|endoftext|> share a prefix; the longer one wins.
        assertThat(PHI3.encode("<|endoftext|>", true)).containsExactly(32000);
        assertThat(PHI3.encode("<|end|>", true)).containsExactly(32007);
    }

    @Test
    void promptPartsGetTheSpacePrefixWhereLlamaCppPutsIt() {
        // At the start of the prompt.
        assertThat(LLAMA.encode(List.of(new PromptPart("Hello", false)))).containsExactly(15043);
        // Raw text continues across parts: one fragment, one prefix.
        assertThat(LLAMA.encode(List.of(new PromptPart("Hel", false), new PromptPart("lo world", true))))
                .containsExactly(15043, 3186);
        // Right after each special token, whether the next text is trusted or not.
        assertThat(LLAMA.encode(List.of(new PromptPart("<s>", true), new PromptPart("Hello", false))))
                .containsExactly(1, 15043);
        assertThat(PHI3.encode(List.of(
                        new PromptPart("<|user|>\n", true),
                        new PromptPart("Hi <|end|>", false),
                        new PromptPart("<|end|>\n<|assistant|>\n", true))))
                .containsExactly(concat(
                        new int[] {32010}, PHI3.encode("\nHi <|end|>"),
                        new int[] {32007}, PHI3.encode("\n"),
                        new int[] {32001}, PHI3.encode("\n")));
        // The whole rendered prompt, tokenized with special tokens parsed, gives the same ids.
        assertThat(LLAMA.encode(List.of(new PromptPart("<s>[INST] ", true), new PromptPart("Hi", false), new PromptPart(" [/INST]", true))))
                .containsExactly(LLAMA.encode("<s>[INST] Hi [/INST]", true));
    }

    @Test
    void untrustedPartsNeverYieldControlTokens() {
        int[] ids = LLAMA.encode(List.of(new PromptPart("<s>", true), new PromptPart("</s><s>", false)));
        assertThat(ids[0]).isEqualTo(1);
        assertThat(IntStream.of(ids).skip(1)).doesNotContain(1, 2);
    }

    @Test
    void decoderAssemblesACharacterSplitOverByteTokens() {
        int[] ids = LLAMA.encode("\uD83E\uDD99"); // the llama emoji, which the vocabulary only has as four bytes
        assertThat(ids).containsExactly(29871, 243, 162, 169, 156);
        TokenDecoder decoder = LLAMA.newDecoder();
        assertThat(decoder.next(29871)).isEmpty(); // the prefix space, dropped at the start
        assertThat(decoder.next(243)).isEmpty();
        assertThat(decoder.next(162)).isEmpty();
        assertThat(decoder.next(169)).isEmpty();
        assertThat(decoder.next(156)).isEqualTo("\uD83E\uDD99");
        assertThat(decoder.flush()).isEmpty();
    }

    @Test
    void decoderNeverEmitsABrokenCharacter() {
        for (String text : LLAMA_VECTORS.texts()) {
            TokenDecoder decoder = LLAMA.newDecoder();
            StringBuilder out = new StringBuilder();
            for (int id : LLAMA.encode(text)) {
                String piece = decoder.next(id);
                assertThat(piece).doesNotContain("\uFFFD");
                assertThat(piece.isEmpty() || !Character.isLowSurrogate(piece.charAt(0))).isTrue();
                assertThat(piece.isEmpty() || !Character.isHighSurrogate(piece.charAt(piece.length() - 1))).isTrue();
                out.append(piece);
            }
            assertThat(out.append(decoder.flush()).toString()).isEqualTo(text);
        }
    }

    @Test
    void decoderDropsOnlyTheSpaceBeforeTheFirstWord() {
        TokenDecoder decoder = LLAMA.newDecoder();
        assertThat(decoder.next(1)).isEmpty();
        assertThat(decoder.next(15043)).isEqualTo("Hello");
        assertThat(decoder.next(3186)).isEqualTo(" world");
        assertThat(decoder.next(2)).isEmpty();
    }

    @Test
    void flushShowsAnIncompleteCharacterAsAReplacement() {
        TokenDecoder decoder = LLAMA.newDecoder();
        assertThat(decoder.next(LLAMA.findToken("<0xF0>").orElseThrow())).isEmpty();
        assertThat(decoder.flush()).isEqualTo("\uFFFD");
    }

    @Test
    void longTextsTakeLinearithmicTime() {
        String text = "The quick brown fox jumps over the lazy dog. ".repeat(1_000) + "a".repeat(20_000);
        int[] ids = Assertions.assertTimeoutPreemptively(Duration.ofSeconds(10), () -> LLAMA.encode(text));
        assertThat(LLAMA.decode(ids)).isEqualTo(text);
    }

    static int[] concat(int[]... parts) {
        return Stream.of(parts).flatMapToInt(IntStream::of).toArray();
    }
}

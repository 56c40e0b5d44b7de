package eu.souverain.server.backends;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bundled model's tokenizer gives the ids that Hugging Face's own tokenizers library gives for
 * the same tokenizer.json (taken from it once, for texts that exercise each rule), so that the
 * model sees the tokens it was trained on.
 */
class WordPieceTokenizerTest {

    private static WordPieceTokenizer tokenizer;

    @BeforeAll
    static void read() throws IOException {
        try (InputStream json = WordPieceTokenizer.class.getClassLoader()
                .getResourceAsStream("all-minilm-l6-v2-q-tokenizer.json")) {
            tokenizer = WordPieceTokenizer.read(json);
        }
    }

    @Test
    void frenchAccentsAreStrippedAndPunctuationStandsAlone() {
        // [CLS] l ' et ##e a noel , ca va ? « œ ##u ##vre » [SEP]
        assertThat(tokenizer.encode("L'été à Noël, ÇA VA ? « œuvre »")).containsExactly(
                101, 1048, 1005, 3802, 2063, 1037, 10716, 1010, 6187, 12436, 1029, 1077, 1107, 2226, 12229, 1090, 102);
    }

    @Test
    void englishWithNumbersAndBrackets() {
        // [CLS] hello , world ! it ' s 3 . 14 ( pi ) . [SEP]
        assertThat(tokenizer.encode("Hello, world! It's 3.14 (pi).")).containsExactly(
                101, 7592, 1010, 2088, 999, 2009, 1005, 1055, 1017, 1012, 2403, 1006, 14255, 1007, 1012, 102);
    }

    @Test
    void chineseCharactersStandAloneAndAWordOutsideTheVocabularyIsUnknown() {
        // [CLS] 日 本 語 em ##oj ##i [UNK] [SEP]
        assertThat(tokenizer.encode("日本語 emoji 😀")).containsExactly(101, 1864, 1876, 1950, 7861, 29147, 2072, 100, 102);
    }

    @Test
    void aLongWordIsCutIntoTheLongestPiecesFromItsStart() {
        assertThat(tokenizer.encode("supercalifragilisticexpialidocious")).containsExactly(
                101, 3565, 9289, 10128, 29181, 24411, 4588, 10288, 19312, 21273, 10085, 6313, 102);
    }

    @Test
    void invisibleFormatCharactersAreDropped() {
        // a zero-width space between the two words: [CLS] zero ##wi ##dt ##h [SEP]
        assertThat(tokenizer.encode("zero\u200Bwidth")).containsExactly(101, 5717, 9148, 11927, 2232, 102);
        assertThat(tokenizer.encode("")).containsExactly(101, 102);
    }
}

package eu.souverain.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PreTokenizerTest {

    @Test
    void gpt2SplitsWordsNumbersAndContractions() {
        assertThat(PreTokenizer.GPT2.split("Hello world's 12345 !!  x\n"))
                .containsExactly("Hello", " world", "'s", " 12345", " !!", " ", " x", "\n");
        assertThat(PreTokenizer.named("default")).isSameAs(PreTokenizer.GPT2);
        assertThat(PreTokenizer.named("gpt-2")).isSameAs(PreTokenizer.GPT2);
    }

    @Test
    void llama3GroupsDigitsByThree() {
        assertThat(PreTokenizer.LLAMA3.split("12345678")).containsExactly("123", "456", "78");
        assertThat(PreTokenizer.LLAMA3.split("pi=3.14159")).containsExactly("pi", "=", "3", ".", "141", "59");
    }

    @Test
    void llama3ContractionsIgnoreCase() {
        assertThat(PreTokenizer.LLAMA3.split("I'M sure you'll DON'T")).containsExactly("I", "'M", " sure", " you", "'ll", " DON", "'T");
    }

    @Test
    void llama3KeepsNewlinesTogetherAndPunctuationBeforeThem() {
        assertThat(PreTokenizer.LLAMA3.split("a\n\nb")).containsExactly("a", "\n\n", "b");
        assertThat(PreTokenizer.LLAMA3.split("end.\n\n  next")).containsExactly("end", ".\n\n", " ", " next");
        assertThat(PreTokenizer.LLAMA3.split("x \n y")).containsExactly("x", " \n", " y");
    }

    @Test
    void llama3LettersAreUnicodeLetters() {
        assertThat(PreTokenizer.LLAMA3.split("Ünïcödé naïve Привет 世界"))
                .containsExactly("Ünïcödé", " naïve", " Привет", " 世界");
        // Any one non-letter, non-digit character may lead a word, not only a space.
        assertThat(PreTokenizer.LLAMA3.split("(hello)")).containsExactly("(hello", ")");
    }

    @Test
    void whiteSpaceIsUnicodeWhiteSpace() {
        // An em space is white space in Python's regex and Rust's regex; Java needs UNICODE_CHARACTER_CLASS for that.
        assertThat(PreTokenizer.LLAMA3.split("a\u2003\u2003b")).containsExactly("a", "\u2003", "\u2003b");
        assertThat(PreTokenizer.GPT2.split("a\u00A0\u00A0\u00A0")).containsExactly("a", "\u00A0\u00A0\u00A0");
    }

    @Test
    void tekkenSplitsDigitsOneByOne() {
        assertThat(PreTokenizer.TEKKEN.split("2024")).containsExactly("2", "0", "2", "4");
        assertThat(PreTokenizer.TEKKEN.split("GPT4o")).containsExactly("GPT", "4", "o");
    }

    @Test
    void tekkenSplitsWordsAtCaseChanges() {
        assertThat(PreTokenizer.TEKKEN.split("camelCaseWord HTTPServer")).containsExactly("camel", "Case", "Word", " HTTPServer");
        assertThat(PreTokenizer.TEKKEN.split("ÉCOLE élève")).containsExactly("ÉCOLE", " élève");
    }

    @Test
    void tekkenHasNoContractionRuleAndKeepsSlashesAfterPunctuation() {
        assertThat(PreTokenizer.TEKKEN.split("don't")).containsExactly("don", "'t");
        assertThat(PreTokenizer.TEKKEN.split("a //\nb")).containsExactly("a", " //\n", "b");
        assertThat(PreTokenizer.TEKKEN.split("line\n\n")).containsExactly("line", "\n\n");
    }

    @Test
    void theWordsAlwaysMakeUpTheWholeText() {
        String text = "Mixed: ÀBC déf 123\t\n\u3000x 🦙!? 'Ve";
        for (PreTokenizer preTokenizer : PreTokenizer.values()) {
            assertThat(String.join("", preTokenizer.split(text))).as(preTokenizer.name()).isEqualTo(text);
        }
    }

    @Test
    void refusesAnUnknownPreTokenizerNamingTheSupportedOnes() {
        assertThatThrownBy(() -> PreTokenizer.named("qwen2"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'qwen2'")
                .hasMessageContaining("gpt-2, default, llama-bpe, tekken");
    }
}

package eu.souverain.engine.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The regular expression that cuts text into words before byte-level BPE, chosen by
 * {@code tokenizer.ggml.pre}. The patterns are the published ones; {@code \s} must mean Unicode
 * white space, as in the Python and Rust originals, hence UNICODE_CHARACTER_CLASS.
 */
enum PreTokenizer {

    GPT2(List.of("gpt-2", "default"), false,
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"),

    /** Llama 3: contractions in any case, numbers in groups of up to three digits. */
    LLAMA3(List.of("llama-bpe"), true,
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
                    + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),

    /** Mistral's Tekken: words split at case changes, digits one by one. */
    TEKKEN(List.of("tekken"), true,
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
                    + "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*"
                    + "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");

    private final List<String> names;
    /** Whether a word that is itself a vocabulary entry is taken whole, without running the merges. */
    final boolean wholeWordsFirst;
    private final Pattern pattern;

    PreTokenizer(List<String> names, boolean wholeWordsFirst, String regex) {
        this.names = names;
        this.wholeWordsFirst = wholeWordsFirst;
        this.pattern = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
    }

    static PreTokenizer named(String name) {
        return Arrays.stream(values())
                .filter(p -> p.names.contains(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unsupported BPE pre-tokenizer '" + name
                        + "' (tokenizer.ggml.pre); supported: " + Arrays.stream(values())
                        .flatMap(p -> p.names.stream()).collect(Collectors.joining(", "))));
    }

    /** The words of the text, in order; together they are the whole text. */
    List<String> split(String text) {
        List<String> words = new ArrayList<>();
        Matcher matcher = pattern.matcher(text);
        int end = 0;
        while (matcher.find()) {
            // The patterns match every character; a gap would only come from a pattern bug, and losing text is worse.
            if (matcher.start() > end) {
                words.add(text.substring(end, matcher.start()));
            }
            words.add(matcher.group());
            end = matcher.end();
        }
        if (end < text.length()) {
            words.add(text.substring(end));
        }
        return words;
    }
}

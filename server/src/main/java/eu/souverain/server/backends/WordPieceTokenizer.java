package eu.souverain.server.backends;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * BERT's uncased WordPiece tokenizer, read from a Hugging Face {@code tokenizer.json}: text cleaned,
 * Chinese characters set apart, accents stripped and lower-cased (BertNormalizer), split at
 * whitespace and punctuation (BertPreTokenizer), each word cut into the longest vocabulary pieces
 * from its start, and the whole framed by [CLS] and [SEP]. Pure Java, so that the only native code
 * of a sentence-embedding model is its forward pass.
 */
final class WordPieceTokenizer {

    private static final String CONTINUATION = "##";

    private final Map<String, Integer> vocabulary;
    private final int unknown;
    private final int classify;
    private final int separate;
    private final int maxCharsPerWord;

    private WordPieceTokenizer(Map<String, Integer> vocabulary, int maxCharsPerWord) {
        this.vocabulary = vocabulary;
        this.unknown = id("[UNK]");
        this.classify = id("[CLS]");
        this.separate = id("[SEP]");
        this.maxCharsPerWord = maxCharsPerWord;
    }

    /** Reads a {@code tokenizer.json} whose model is an uncased WordPiece; refuses any other kind by name. */
    static WordPieceTokenizer read(InputStream json) throws IOException {
        JsonNode root = new ObjectMapper().readTree(json);
        JsonNode model = root.path("model");
        if (!model.path("type").asText().equals("WordPiece")) {
            throw new IOException("the tokenizer is not a WordPiece tokenizer but '" + model.path("type").asText() + "'");
        }
        if (!root.path("normalizer").path("lowercase").asBoolean(false)) {
            throw new IOException("the tokenizer is not an uncased BERT tokenizer");
        }
        Map<String, Integer> vocabulary = new HashMap<>();
        model.path("vocab").properties().forEach(e -> vocabulary.put(e.getKey(), e.getValue().asInt()));
        return new WordPieceTokenizer(vocabulary, model.path("max_input_chars_per_word").asInt(100));
    }

    private int id(String token) {
        Integer id = vocabulary.get(token);
        if (id == null) {
            throw new IllegalArgumentException("the vocabulary has no " + token + " token");
        }
        return id;
    }

    /** The token ids of {@code text}, [CLS] first and [SEP] last. */
    int[] encode(String text) {
        List<Integer> ids = new ArrayList<>();
        ids.add(classify);
        for (String word : words(normalize(text))) {
            pieces(word, ids);
        }
        ids.add(separate);
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** BertNormalizer with lowercase and no explicit strip_accents, which strips them. */
    private static String normalize(String text) {
        StringBuilder cleaned = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            if (c == 0 || c == 0xFFFD || isControl(c)) {
                return;
            }
            if (isWhitespace(c)) {
                cleaned.append(' ');
            } else if (isChinese(c)) {
                cleaned.append(' ').appendCodePoint(c).append(' ');
            } else {
                cleaned.appendCodePoint(c);
            }
        });
        String decomposed = Normalizer.normalize(cleaned, Normalizer.Form.NFD);
        StringBuilder stripped = new StringBuilder(decomposed.length());
        decomposed.codePoints().filter(c -> Character.getType(c) != Character.NON_SPACING_MARK)
                .forEach(stripped::appendCodePoint);
        return stripped.toString().toLowerCase(java.util.Locale.ROOT);
    }

    /** BertPreTokenizer: whitespace separates words, and each punctuation character is a word of its own. */
    private static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        text.codePoints().forEach(c -> {
            if (Character.isWhitespace(c) || isPunctuation(c)) {
                if (!word.isEmpty()) {
                    words.add(word.toString());
                    word.setLength(0);
                }
                if (isPunctuation(c)) {
                    words.add(Character.toString(c));
                }
            } else {
                word.appendCodePoint(c);
            }
        });
        if (!word.isEmpty()) {
            words.add(word.toString());
        }
        return words;
    }

    /** Greedy longest match from the start; a word with any piece outside the vocabulary is one [UNK]. */
    private void pieces(String word, List<Integer> ids) {
        if (word.codePointCount(0, word.length()) > maxCharsPerWord) {
            ids.add(unknown);
            return;
        }
        List<Integer> found = new ArrayList<>();
        int start = 0;
        while (start < word.length()) {
            int end = word.length();
            Integer piece = null;
            while (end > start) {
                String candidate = (start > 0 ? CONTINUATION : "") + word.substring(start, end);
                piece = vocabulary.get(candidate);
                if (piece != null) {
                    break;
                }
                end = Character.isLowSurrogate(word.charAt(end - 1)) && end - 2 >= start ? end - 2 : end - 1;
            }
            if (piece == null) {
                ids.add(unknown);
                return;
            }
            found.add(piece);
            start = end;
        }
        ids.addAll(found);
    }

    private static boolean isWhitespace(int c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || Character.getType(c) == Character.SPACE_SEPARATOR;
    }

    private static boolean isControl(int c) {
        if (c == '\t' || c == '\n' || c == '\r') {
            return false;
        }
        int type = Character.getType(c);
        return type == Character.CONTROL || type == Character.FORMAT || type == Character.PRIVATE_USE
                || type == Character.SURROGATE || type == Character.UNASSIGNED;
    }

    private static boolean isPunctuation(int c) {
        if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) {
            return true;
        }
        return switch (Character.getType(c)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }

    private static boolean isChinese(int c) {
        return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF)
                || (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF)
                || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
    }
}

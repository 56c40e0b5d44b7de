package eu.souverain.engine.sample;

import eu.souverain.engine.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.stream.IntStream;

/**
 * A vocabulary's token texts as bytes, computed once per tokenizer: the tokens with text, sorted
 * by their bytes, with how many leading bytes each shares with the one before. Walking them in
 * this order visits the trie of all token texts without building it: a token re-reads only the
 * bytes it does not share with the previous one, and a rejected prefix skips every token after it
 * that starts with it.
 */
final class TokenTable {

    private static final Map<Tokenizer, TokenTable> TABLES = new WeakHashMap<>();

    final byte[][] bytes;
    /** Token ids with non-empty text, in unsigned lexicographic order of their bytes. */
    final int[] sorted;
    /** shared[k]: the length of the common start of sorted[k - 1]'s and sorted[k]'s bytes (0 for k = 0). */
    final int[] shared;
    /**
     * Tokens that are whole characters of a JSON string's body on their own, without quote,
     * backslash or control character, as a bit set: inside a string of unbounded length, these
     * are allowed without walking them.
     */
    final long[] plainText;
    /** The tokens with text that are not plain text, in the same order as {@link #sorted}. */
    final int[] special;
    /** As {@link #shared}, for {@link #special}. */
    final int[] specialShared;
    /** End-of-generation tokens: the only ones allowed once a document is whole. */
    final int[] endTokens;
    final int longest;
    /** Token ids by their bytes read as ISO-8859-1, one char per byte. */
    private final Map<String, Integer> byBytes = new HashMap<>();

    private TokenTable(Tokenizer tokenizer) {
        int size = tokenizer.vocabularySize();
        bytes = new byte[size][];
        for (int token = 0; token < size; token++) {
            bytes[token] = tokenizer.tokenBytes(token);
        }
        sorted = IntStream.range(0, size).filter(t -> bytes[t].length > 0).boxed()
                .sorted(Comparator.comparing((Integer t) -> bytes[t], Arrays::compareUnsigned))
                .mapToInt(Integer::intValue).toArray();
        shared = sharedPrefixes(sorted);
        plainText = new long[(size + 63) / 64];
        for (int token : sorted) {
            if (JsonState.isPlainText(bytes[token])) {
                plainText[token >>> 6] |= 1L << token;
            }
        }
        special = Arrays.stream(sorted).filter(t -> (plainText[t >>> 6] & 1L << t) == 0).toArray();
        specialShared = sharedPrefixes(special);
        endTokens = IntStream.range(0, size).filter(tokenizer::isEndOfGeneration).toArray();
        longest = Arrays.stream(bytes).mapToInt(b -> b.length).max().orElse(0);
        for (int token : sorted) {
            byBytes.putIfAbsent(new String(bytes[token], StandardCharsets.ISO_8859_1), token);
        }
    }

    /**
     * {@code text} cut greedily into the longest tokens that start each rest of it; null when some
     * byte has no token.
     */
    int[] longestTokens(byte[] text) {
        int[] tokens = new int[text.length];
        int count = 0;
        String rest = new String(text, StandardCharsets.ISO_8859_1);
        for (int at = 0; at < rest.length(); ) {
            int length = Math.min(longest, rest.length() - at);
            Integer token;
            while ((token = byBytes.get(rest.substring(at, at + length))) == null && length > 1) {
                length--;
            }
            if (token == null) {
                return null;
            }
            tokens[count++] = token;
            at += length;
        }
        return Arrays.copyOf(tokens, count);
    }

    private int[] sharedPrefixes(int[] order) {
        int[] result = new int[order.length];
        for (int k = 1; k < order.length; k++) {
            byte[] a = bytes[order[k - 1]];
            byte[] b = bytes[order[k]];
            int mismatch = Arrays.mismatch(a, b);
            result[k] = mismatch < 0 ? a.length : mismatch;
        }
        return result;
    }

    static TokenTable of(Tokenizer tokenizer) {
        synchronized (TABLES) {
            return TABLES.computeIfAbsent(tokenizer, TokenTable::new);
        }
    }

    int size() {
        return bytes.length;
    }
}

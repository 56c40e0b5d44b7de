package eu.souverain.engine.tokenizer;

import eu.souverain.engine.gguf.Metadata;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.stream.IntStream;

/**
 * SentencePiece-style tokenizer ({@code tokenizer.ggml.model = "llama"}): spaces become U+2581,
 * then adjacent pieces are merged, highest-scoring merge first, as long as the merged piece is in
 * the vocabulary; characters left without a piece fall back to {@code <0xNN>} byte tokens.
 */
public final class SentencePieceTokenizer extends VocabularyTokenizer implements Tokenizer {

    private static final char SPACE_MARK = '\u2581';

    private final boolean addSpacePrefix;
    /** Normal entries only: control, byte and unused entries are never the result of a merge. */
    private final Map<String, Integer> pieceIds;
    /** The {@code <0xNN>} token of each byte, or -1. */
    private final int[] byteTokens = new int[256];

    SentencePieceTokenizer(Vocabulary vocabulary, boolean addSpacePrefix) {
        super(vocabulary);
        this.addSpacePrefix = addSpacePrefix;
        this.pieceIds = HashMap.newHashMap(vocabulary.size());
        Arrays.fill(byteTokens, -1);
        for (int id = 0; id < vocabulary.size(); id++) {
            switch (vocabulary.types[id]) {
                case NORMAL -> pieceIds.put(vocabulary.texts[id], id);
                case BYTE -> byteTokens[byteValue(vocabulary.texts[id])] = id;
                default -> { }
            }
        }
    }

    static SentencePieceTokenizer fromMetadata(Metadata metadata) {
        return new SentencePieceTokenizer(Vocabulary.fromMetadata(metadata, true),
                metadata.getBool("tokenizer.ggml.add_space_prefix", true));
    }

    private static int byteValue(String text) {
        if (text.length() != 6 || !text.startsWith("<0x") || text.charAt(5) != '>') {
            throw new IllegalArgumentException("byte token '" + text + "' is not of the form <0xNN>");
        }
        return Integer.parseInt(text, 3, 5, 16);
    }

    @Override
    int[] encodeFragments(List<Fragment> fragments) {
        IntStream.Builder out = IntStream.builder();
        // The space prefix goes on raw text at the start and right after a special token, as llama.cpp does.
        boolean afterSpecial = true;
        for (Fragment fragment : fragments) {
            switch (fragment) {
                case Fragment.Text(String text) -> {
                    String prefixed = addSpacePrefix && afterSpecial ? " " + text : text;
                    encodePieces(prefixed.replace(' ', SPACE_MARK), out);
                    afterSpecial = false;
                }
                case Fragment.Special(int token) -> {
                    out.add(token);
                    afterSpecial = true;
                }
            }
        }
        return out.build().toArray();
    }

    /** A candidate merge of two adjacent symbols, remembering the merged length to detect stale entries. */
    private record Bigram(int left, int right, float score, int length) {}

    /**
     * Symbols start as single code points in a linked list (offset and length into the text); a
     * priority queue holds the mergeable adjacent pairs, so a text of n characters takes O(n log n).
     */
    private void encodePieces(String text, IntStream.Builder out) {
        int n = text.codePointCount(0, text.length());
        int[] start = new int[n];
        int[] length = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0, offset = 0; i < n; i++) {
            start[i] = offset;
            length[i] = Character.charCount(text.codePointAt(offset));
            offset += length[i];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) -> a.score != b.score
                ? Float.compare(b.score, a.score)
                : Integer.compare(a.left, b.left));
        for (int i = 1; i < n; i++) {
            offerBigram(text, i - 1, i, start, length, queue);
        }
        while (!queue.isEmpty()) {
            Bigram bigram = queue.poll();
            int left = bigram.left;
            int right = bigram.right;
            if (length[left] == 0 || length[right] == 0 || length[left] + length[right] != bigram.length) {
                continue;
            }
            length[left] += length[right];
            length[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            if (prev[left] >= 0) {
                offerBigram(text, prev[left], left, start, length, queue);
            }
            if (next[left] >= 0) {
                offerBigram(text, left, next[left], start, length, queue);
            }
        }
        for (int i = n > 0 ? 0 : -1; i >= 0; i = next[i]) {
            String piece = text.substring(start[i], start[i] + length[i]);
            Integer id = pieceIds.get(piece);
            if (id != null) {
                out.add(id);
            } else {
                addByteFallback(piece, out);
            }
        }
    }

    private void offerBigram(String text, int left, int right, int[] start, int[] length, PriorityQueue<Bigram> queue) {
        int merged = length[left] + length[right];
        Integer id = pieceIds.get(text.substring(start[left], start[left] + merged));
        if (id != null) {
            queue.add(new Bigram(left, right, vocabulary.scores[id], merged));
        }
    }

    private void addByteFallback(String piece, IntStream.Builder out) {
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            if (byteTokens[b & 0xFF] < 0) {
                if (vocabulary.unknown < 0) {
                    throw new IllegalArgumentException("no token for '" + piece
                            + "': the vocabulary has neither byte tokens nor an unknown token");
                }
                out.add(vocabulary.unknown);
                return;
            }
        }
        for (byte b : bytes) {
            out.add(byteTokens[b & 0xFF]);
        }
    }

    @Override
    public byte[] tokenBytes(int token) {
        String text = vocabulary.text(token);
        return switch (vocabulary.types[token]) {
            case NORMAL -> text.replace(SPACE_MARK, ' ').getBytes(StandardCharsets.UTF_8);
            case BYTE -> new byte[] {(byte) byteValue(text)};
            case USER_DEFINED -> text.getBytes(StandardCharsets.UTF_8);
            case CONTROL, UNKNOWN, UNUSED -> new byte[0];
        };
    }

    @Override
    boolean dropsLeadingSpace() {
        return addSpacePrefix;
    }
}

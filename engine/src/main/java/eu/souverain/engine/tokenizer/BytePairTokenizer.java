package eu.souverain.engine.tokenizer;

import eu.souverain.engine.gguf.Metadata;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.stream.IntStream;

/**
 * Byte-level BPE ({@code tokenizer.ggml.model = "gpt2"}): text is cut into words by the
 * pre-tokenizer's regular expression, each word's UTF-8 bytes are written in GPT-2's byte alphabet,
 * and the merges are applied lowest rank first.
 */
public final class BytePairTokenizer extends VocabularyTokenizer implements Tokenizer {

    private final PreTokenizer preTokenizer;
    /** Normal entries by text: control tokens are never the result of a merge or a whole word. */
    private final Map<String, Integer> pieceIds;
    /** The token of each single byte, or -1. */
    private final int[] byteTokens = new int[256];
    private final MergeTable merges;

    BytePairTokenizer(Vocabulary vocabulary, PreTokenizer preTokenizer, String[] mergeRules) {
        super(vocabulary);
        this.preTokenizer = preTokenizer;
        this.pieceIds = HashMap.newHashMap(vocabulary.size());
        for (int id = 0; id < vocabulary.size(); id++) {
            if (vocabulary.types[id] == TokenType.NORMAL || vocabulary.types[id] == TokenType.BYTE) {
                pieceIds.put(vocabulary.texts[id], id);
            }
        }
        for (int b = 0; b < 256; b++) {
            byteTokens[b] = pieceIds.getOrDefault(String.valueOf(ByteLevel.charOf(b)), -1);
        }
        this.merges = new MergeTable(mergeRules.length);
        for (int rank = 0; rank < mergeRules.length; rank++) {
            String rule = mergeRules[rank];
            int space = rule.indexOf(' ');
            if (space <= 0 || space == rule.length() - 1 || rule.indexOf(' ', space + 1) >= 0) {
                throw new IllegalArgumentException("merge " + rank + " '" + rule + "' is not two pieces separated by one space");
            }
            int left = pieceId(rule.substring(0, space), rank, rule);
            int right = pieceId(rule.substring(space + 1), rank, rule);
            int merged = pieceId(rule.substring(0, space) + rule.substring(space + 1), rank, rule);
            merges.putIfAbsent(left, right, rank, merged);
        }
    }

    static BytePairTokenizer fromMetadata(Metadata metadata) {
        PreTokenizer preTokenizer = PreTokenizer.named(metadata.findString("tokenizer.ggml.pre").orElse("default"));
        return new BytePairTokenizer(
                Vocabulary.fromMetadata(metadata, preTokenizer != PreTokenizer.GPT2),
                preTokenizer,
                metadata.getStringArray("tokenizer.ggml.merges"));
    }

    private int pieceId(String piece, int rank, String rule) {
        Integer id = pieceIds.get(piece);
        if (id == null) {
            throw new IllegalArgumentException("merge " + rank + " '" + rule + "' uses '" + piece + "', which is not in the vocabulary");
        }
        return id;
    }

    @Override
    int[] encodeFragments(List<Fragment> fragments) {
        IntStream.Builder out = IntStream.builder();
        for (Fragment fragment : fragments) {
            switch (fragment) {
                case Fragment.Text(String text) -> {
                    for (String word : preTokenizer.split(text)) {
                        encodeWord(word.getBytes(StandardCharsets.UTF_8), out);
                    }
                }
                case Fragment.Special(int token) -> out.add(token);
            }
        }
        return out.build().toArray();
    }

    /** A candidate merge of two adjacent symbols; it is stale once either symbol has changed. */
    private record Bigram(int left, int right, int rank, int leftId, int rightId, int mergedId) {}

    private static final int MERGED_AWAY = -2;

    /** Symbols start as single bytes in a linked list; a priority queue holds the applicable merges. */
    private void encodeWord(byte[] bytes, IntStream.Builder out) {
        if (preTokenizer.wholeWordsFirst) {
            Integer whole = pieceIds.get(ByteLevel.encode(bytes));
            if (whole != null) {
                out.add(whole);
                return;
            }
        }
        int n = bytes.length;
        int[] ids = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = byteTokens[bytes[i] & 0xFF];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) -> a.rank != b.rank
                ? Integer.compare(a.rank, b.rank)
                : Integer.compare(a.left, b.left));
        for (int i = 1; i < n; i++) {
            offerBigram(i - 1, i, ids, queue);
        }
        while (!queue.isEmpty()) {
            Bigram bigram = queue.poll();
            int left = bigram.left;
            int right = bigram.right;
            if (ids[left] != bigram.leftId || ids[right] != bigram.rightId || next[left] != right) {
                continue;
            }
            ids[left] = bigram.mergedId;
            ids[right] = MERGED_AWAY;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            if (prev[left] >= 0) {
                offerBigram(prev[left], left, ids, queue);
            }
            if (next[left] >= 0) {
                offerBigram(left, next[left], ids, queue);
            }
        }
        for (int i = n > 0 ? 0 : -1; i >= 0; i = next[i]) {
            if (ids[i] >= 0) {
                out.add(ids[i]);
            } else if (vocabulary.unknown >= 0) {
                out.add(vocabulary.unknown);
            } else {
                throw new IllegalArgumentException(String.format(
                        "byte 0x%02X has no token and the vocabulary has no unknown token", bytes[i] & 0xFF));
            }
        }
    }

    private void offerBigram(int left, int right, int[] ids, PriorityQueue<Bigram> queue) {
        if (ids[left] < 0 || ids[right] < 0) {
            return;
        }
        long merge = merges.find(ids[left], ids[right]);
        if (merge >= 0) {
            queue.add(new Bigram(left, right, (int) (merge >>> 32), ids[left], ids[right], (int) merge));
        }
    }

    @Override
    public byte[] tokenBytes(int token) {
        String text = vocabulary.text(token);
        return switch (vocabulary.types[token]) {
            case NORMAL, BYTE -> ByteLevel.decode(text);
            case USER_DEFINED -> text.getBytes(StandardCharsets.UTF_8);
            case CONTROL, UNKNOWN, UNUSED -> new byte[0];
        };
    }

    @Override
    boolean dropsLeadingSpace() {
        return false;
    }
}

package eu.souverain.engine.tokenizer;

import eu.souverain.engine.chat.PromptPart;
import eu.souverain.engine.gguf.Metadata;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeSet;

/**
 * The token table shared by both tokenizer kinds: entries, their types and scores, the special ids,
 * and the splitting of text around special-token strings.
 */
final class Vocabulary {

    /**
     * End-of-turn markers of common chat formats. A file often names only one of them as EOS (Phi-3
     * names {@code <|endoftext|>} while its chat template ends turns with {@code <|end|>}), so, like
     * llama.cpp, we also stop on these when the vocabulary has them as control tokens.
     */
    private static final List<String> END_OF_TURN_TEXTS =
            List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>");

    final String[] texts;
    final TokenType[] types;
    final float[] scores;
    final int bos;
    final int eos;
    final int unknown;
    final boolean addBos;
    final boolean addEos;
    private final Map<String, Integer> ids;
    private final BitSet endOfGeneration = new BitSet();

    /** Control, unknown and user-defined entries by text, for splitting them out of the input. */
    private final Map<String, Integer> specialIds = new HashMap<>();
    /** Distinct lengths of the special texts, longest first, so the first hit is the longest match. */
    private final int[] specialLengths;
    private final BitSet specialFirstChars = new BitSet(Character.MAX_VALUE + 1);

    Vocabulary(String[] texts, TokenType[] types, float[] scores, int bos, int eos, int unknown,
               int[] endOfGenerationIds, boolean addBos, boolean addEos) {
        if (types.length != texts.length || scores.length != texts.length) {
            throw new IllegalArgumentException("vocabulary has " + texts.length + " tokens but "
                    + types.length + " token types and " + scores.length + " scores");
        }
        this.texts = texts;
        this.types = types;
        this.scores = scores;
        this.bos = checkedId("BOS", bos, texts.length);
        this.eos = checkedId("EOS", eos, texts.length);
        this.unknown = checkedId("unknown", unknown, texts.length);
        this.addBos = addBos && bos >= 0;
        this.addEos = addEos && eos >= 0;
        this.ids = HashMap.newHashMap(texts.length);
        TreeSet<Integer> lengths = new TreeSet<>();
        for (int id = 0; id < texts.length; id++) {
            ids.put(texts[id], id);
            TokenType type = types[id];
            boolean special = type == TokenType.CONTROL || type == TokenType.UNKNOWN || type == TokenType.USER_DEFINED;
            if (special && !texts[id].isEmpty()) {
                specialIds.put(texts[id], id);
                lengths.add(texts[id].length());
                specialFirstChars.set(texts[id].charAt(0));
            }
        }
        this.specialLengths = lengths.descendingSet().stream().mapToInt(Integer::intValue).toArray();
        for (int id : endOfGenerationIds) {
            if (id >= 0) {
                endOfGeneration.set(checkedId("end-of-generation", id, texts.length));
            }
        }
        for (String text : END_OF_TURN_TEXTS) {
            Integer id = ids.get(text);
            if (id != null && types[id] == TokenType.CONTROL) {
                endOfGeneration.set(id);
            }
        }
    }

    /** Reads the tokenizer keys every GGUF vocabulary shares; {@code addBosByDefault} applies when the file does not say. */
    static Vocabulary fromMetadata(Metadata metadata, boolean addBosByDefault) {
        String[] texts = metadata.getStringArray("tokenizer.ggml.tokens");
        float[] scores = metadata.findFloatArray("tokenizer.ggml.scores").orElseGet(() -> new float[texts.length]);
        TokenType[] types = new TokenType[texts.length];
        int[] codes = metadata.findIntArray("tokenizer.ggml.token_type").orElse(null);
        if (codes != null && codes.length != texts.length) {
            throw new IllegalArgumentException("tokenizer.ggml.token_type has " + codes.length
                    + " entries but tokenizer.ggml.tokens has " + texts.length);
        }
        for (int id = 0; id < types.length; id++) {
            types[id] = codes == null ? TokenType.NORMAL : TokenType.fromCode(codes[id]);
        }
        int eos = tokenId(metadata, "tokenizer.ggml.eos_token_id");
        int[] endOfGeneration = {
                eos,
                tokenId(metadata, "tokenizer.ggml.eot_token_id"),
                tokenId(metadata, "tokenizer.ggml.eom_token_id")};
        return new Vocabulary(texts, types, scores,
                tokenId(metadata, "tokenizer.ggml.bos_token_id"),
                eos,
                tokenId(metadata, "tokenizer.ggml.unknown_token_id"),
                endOfGeneration,
                metadata.getBool("tokenizer.ggml.add_bos_token", addBosByDefault),
                metadata.getBool("tokenizer.ggml.add_eos_token", false));
    }

    /** The id stored under the key, or -1 when the key is absent or holds the "unset" marker, UINT32 0xFFFFFFFF. */
    private static int tokenId(Metadata metadata, String key) {
        if (!metadata.has(key)) {
            return -1;
        }
        long id = metadata.getLong(key);
        if (id == 0xFFFF_FFFFL || id == -1) {
            return -1;
        }
        if (id < 0 || id > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(key + " = " + id + " is not a token id");
        }
        return (int) id;
    }

    private static int checkedId(String what, int id, int size) {
        if (id >= size || id < -1) {
            throw new IllegalArgumentException(what + " token id " + id + " is outside the vocabulary of " + size + " tokens");
        }
        return id;
    }

    int size() {
        return texts.length;
    }

    String text(int token) {
        return texts[checked(token)];
    }

    TokenType type(int token) {
        return types[checked(token)];
    }

    int checked(int token) {
        if (token < 0 || token >= texts.length) {
            throw new IllegalArgumentException("token id " + token + " is outside the vocabulary of " + texts.length + " tokens");
        }
        return token;
    }

    OptionalInt find(String text) {
        Integer id = ids.get(text);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    boolean isEndOfGeneration(int token) {
        return token >= 0 && endOfGeneration.get(token);
    }

    /**
     * Splits special-token strings out of the text, longest match first. User-defined entries are
     * always split out (they are ordinary pieces of the vocabulary that the model learned whole, as
     * Hugging Face and llama.cpp treat them); control and unknown entries only when
     * {@code parseSpecial} is set, so typed text can never produce them.
     */
    List<Fragment> split(String text, boolean parseSpecial) {
        List<Fragment> fragments = new ArrayList<>();
        int textStart = 0;
        int i = 0;
        while (i < text.length()) {
            int match = specialFirstChars.get(text.charAt(i)) ? specialAt(text, i, parseSpecial) : -1;
            if (match < 0) {
                i++;
                continue;
            }
            if (textStart < i) {
                fragments.add(new Fragment.Text(text.substring(textStart, i)));
            }
            fragments.add(new Fragment.Special(match));
            i += texts[match].length();
            textStart = i;
        }
        if (textStart < text.length()) {
            fragments.add(new Fragment.Text(text.substring(textStart)));
        }
        return fragments;
    }

    private int specialAt(String text, int at, boolean parseSpecial) {
        for (int length : specialLengths) {
            if (at + length > text.length()) {
                continue;
            }
            Integer id = specialIds.get(text.substring(at, at + length));
            if (id != null && (parseSpecial || types[id] == TokenType.USER_DEFINED)) {
                return id;
            }
        }
        return -1;
    }

    /**
     * Splits each part (trusted parts with special tokens parsed) and joins raw text that runs across
     * part boundaries, so that the result is what splitting the whole rendered prompt would give.
     */
    List<Fragment> split(List<PromptPart> parts) {
        List<Fragment> fragments = new ArrayList<>();
        for (PromptPart part : parts) {
            for (Fragment fragment : split(part.text(), part.trusted())) {
                if (fragment instanceof Fragment.Text(String text)
                        && !fragments.isEmpty()
                        && fragments.getLast() instanceof Fragment.Text(String previous)) {
                    fragments.set(fragments.size() - 1, new Fragment.Text(previous + text));
                } else {
                    fragments.add(fragment);
                }
            }
        }
        return fragments;
    }
}

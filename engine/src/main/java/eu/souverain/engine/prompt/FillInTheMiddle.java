package eu.souverain.engine.prompt;

import eu.souverain.engine.gguf.Metadata;
import eu.souverain.engine.tokenizer.Tokenizer;
import java.util.List;
import java.util.OptionalInt;

/**
 * A model's fill-in-the-middle tokens, from its GGUF metadata (tokenizer.ggml.fim_pre_token_id,
 * fim_suf_token_id, fim_mid_token_id) or its vocabulary: Mistral's [PREFIX] [SUFFIX] [MIDDLE],
 * which put the suffix first, Qwen's and StarCoder's fim_prefix/fim_suffix/fim_middle, Code
 * Llama's PRE/SUF/MID.
 */
public record FillInTheMiddle(int prefix, int suffix, int middle, boolean suffixFirst) {

    private static final List<List<String>> NAMES = List.of(
            List.of("[PREFIX]", "[SUFFIX]", "[MIDDLE]"),
            List.of("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"),
            List.of("<fim_prefix>", "<fim_suffix>", "<fim_middle>"),
            List.of("<PRE>", "<SUF>", "<MID>"));

    /** The model's tokens, or null when it has none. */
    public static FillInTheMiddle of(Metadata metadata, Tokenizer tokenizer) {
        int pre = metadata.getInt("tokenizer.ggml.fim_pre_token_id", -1);
        int suf = metadata.getInt("tokenizer.ggml.fim_suf_token_id", -1);
        int mid = metadata.getInt("tokenizer.ggml.fim_mid_token_id", -1);
        int size = tokenizer.vocabularySize();
        if (pre >= 0 && suf >= 0 && mid >= 0 && pre < size && suf < size && mid < size) {
            return new FillInTheMiddle(pre, suf, mid, tokenizer.tokenText(pre).equals("[PREFIX]"));
        }
        for (List<String> names : NAMES) {
            OptionalInt p = tokenizer.findToken(names.get(0));
            OptionalInt s = tokenizer.findToken(names.get(1));
            OptionalInt m = tokenizer.findToken(names.get(2));
            if (p.isPresent() && s.isPresent() && m.isPresent()) {
                return new FillInTheMiddle(p.getAsInt(), s.getAsInt(), m.getAsInt(), names.get(0).equals("[PREFIX]"));
            }
        }
        return null;
    }

    /** The prompt whose continuation is the middle: the texts as plain text between the markers. */
    public int[] prompt(Tokenizer tokenizer, String prefixText, String suffixText) {
        int[] before = tokenizer.encode(prefixText);
        int[] after = suffixText.isEmpty() ? new int[0] : tokenizer.encode(suffixText);
        int bos = tokenizer.addBos() && tokenizer.bosToken() >= 0 ? 1 : 0;
        int[] tokens = new int[bos + 3 + before.length + after.length];
        int at = 0;
        if (bos == 1) {
            tokens[at++] = tokenizer.bosToken();
        }
        if (suffixFirst) {
            tokens[at++] = suffix;
            at = copy(after, tokens, at);
            tokens[at++] = prefix;
            at = copy(before, tokens, at);
        } else {
            tokens[at++] = prefix;
            at = copy(before, tokens, at);
            tokens[at++] = suffix;
            at = copy(after, tokens, at);
        }
        tokens[at] = middle;
        return tokens;
    }

    private static int copy(int[] from, int[] to, int at) {
        System.arraycopy(from, 0, to, at, from.length);
        return at + from.length;
    }
}

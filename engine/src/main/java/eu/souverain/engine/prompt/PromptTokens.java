package eu.souverain.engine.prompt;

import eu.souverain.engine.chat.PromptPart;
import eu.souverain.engine.tokenizer.Tokenizer;
import java.util.List;

/** The token ids of a prompt, framed by BOS and EOS as the model file asks. */
public final class PromptTokens {

    private PromptTokens() {}

    /** A raw prompt: the text as plain text, framed by BOS (and EOS) as the file asks. */
    public static int[] raw(Tokenizer tokenizer, String text) {
        return framed(tokenizer, tokenizer.encode(text));
    }

    /** A rendered chat template: its own control tokens kept, message text as plain text. */
    public static int[] chat(Tokenizer tokenizer, List<PromptPart> parts) {
        return framed(tokenizer, tokenizer.encode(parts));
    }

    /** Adds BOS and EOS where the file asks for them; most chat templates already write BOS. */
    private static int[] framed(Tokenizer tokenizer, int[] body) {
        int bos = tokenizer.addBos() && (body.length == 0 || body[0] != tokenizer.bosToken()) ? 1 : 0;
        int eos = tokenizer.addEos() ? 1 : 0;
        int[] tokens = new int[bos + body.length + eos];
        if (bos == 1) {
            tokens[0] = tokenizer.bosToken();
        }
        System.arraycopy(body, 0, tokens, bos, body.length);
        if (eos == 1) {
            tokens[tokens.length - 1] = tokenizer.eosToken();
        }
        return tokens;
    }
}

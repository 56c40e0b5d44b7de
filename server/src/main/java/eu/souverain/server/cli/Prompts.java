package eu.souverain.server.cli;

import eu.souverain.engine.model.Generator;
import eu.souverain.engine.tokenizer.Tokenizer;
import eu.souverain.engine.chat.PromptPart;
import java.util.List;
import java.util.Locale;

/** Prompt assembly and the statistics line shared by the generating commands. */
final class Prompts {

    private Prompts() {}

    /** A raw prompt: the text as plain text, framed by BOS (and EOS) as the file asks. */
    static int[] raw(Tokenizer tokenizer, String text) {
        return framed(tokenizer, tokenizer.encode(text));
    }

    /** A rendered chat template: its own control tokens kept, message text as plain text. */
    static int[] chat(Tokenizer tokenizer, List<PromptPart> parts) {
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

    static String statistics(Generator.Result r) {
        return String.format(Locale.ROOT,
                "prompt: %d tokens (%d cached) in %.1f ms (%.1f tokens/s); generated: %d tokens in %.1f ms (%.1f tokens/s); finish: %s",
                r.promptTokens(), r.cachedTokens(), r.promptNanos() / 1e6,
                rate(r.promptTokens() - r.cachedTokens(), r.promptNanos()),
                r.generatedTokens(), r.generationNanos() / 1e6, rate(r.generatedTokens(), r.generationNanos()),
                r.finish().name().toLowerCase(Locale.ROOT));
    }

    private static double rate(int tokens, long nanos) {
        return nanos == 0 ? 0 : tokens * 1e9 / nanos;
    }
}

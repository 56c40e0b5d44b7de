package eu.souverain.tools;

import eu.souverain.engine.model.Generator;
import java.util.Locale;

/** The statistics line the generating commands write to stderr after each generation. */
final class Statistics {

    private Statistics() {}

    static String line(Generator.Result r) {
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

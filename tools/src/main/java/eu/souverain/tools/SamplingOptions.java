package eu.souverain.tools;

import eu.souverain.engine.sample.SamplerConfig;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Sampling flags, named and defaulted as llama.cpp's. */
final class SamplingOptions {

    @Option(names = "--temperature", paramLabel = "T", description = "0 = greedy (default: ${DEFAULT-VALUE}).")
    float temperature = 0.8f;

    @Option(names = "--top-k", paramLabel = "K", description = "0 = off (default: ${DEFAULT-VALUE}).")
    int topK = 40;

    @Option(names = "--top-p", paramLabel = "P", description = "1 = off (default: ${DEFAULT-VALUE}).")
    float topP = 0.95f;

    @Option(names = "--min-p", paramLabel = "P", description = "0 = off (default: ${DEFAULT-VALUE}).")
    float minP = 0.05f;

    @Option(names = "--repeat-penalty", paramLabel = "X", description = "1 = off (default: ${DEFAULT-VALUE}).")
    float repeatPenalty = 1f;

    @Option(names = "--repeat-last-n", paramLabel = "N", description = "Tokens the penalties look back over (default: ${DEFAULT-VALUE}).")
    int repeatLastN = 64;

    @Option(names = "--frequency-penalty", paramLabel = "X", description = "Default: ${DEFAULT-VALUE}.")
    float frequencyPenalty = 0f;

    @Option(names = "--presence-penalty", paramLabel = "X", description = "Default: ${DEFAULT-VALUE}.")
    float presencePenalty = 0f;

    @Option(names = "--seed", paramLabel = "S", description = "Makes sampling reproducible (default: random).")
    Long seed;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", description = "Tokens to generate at most (default: ${DEFAULT-VALUE}).")
    int maxTokens = 256;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop before this text; repeatable.")
    List<String> stops = new ArrayList<>();

    SamplerConfig config() {
        if (maxTokens < 0) {
            throw new IllegalArgumentException("--max-tokens must not be negative, was " + maxTokens);
        }
        if (repeatLastN < 0) {
            throw new IllegalArgumentException("--repeat-last-n must not be negative, was " + repeatLastN);
        }
        SamplerConfig defaults = SamplerConfig.defaults();
        return new SamplerConfig(temperature, topK, topP, minP, repeatPenalty, repeatLastN,
                frequencyPenalty, presencePenalty, seed != null ? seed : defaults.seed());
    }
}

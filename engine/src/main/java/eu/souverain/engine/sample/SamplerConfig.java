package eu.souverain.engine.sample;

import java.security.SecureRandom;

/**
 * Sampling settings, with llama.cpp's meanings and defaults.
 *
 * <p>{@code temperature} 0 means greedy: the argmax after penalties. {@code topK} 0, {@code topP} 1
 * and {@code minP} 0 switch those filters off; {@code repeatPenalty} 1 and frequency and presence
 * penalties 0 switch the penalties off. The penalties count tokens over the last
 * {@code repeatLastN} accepted tokens (0: no window, no penalties). A fixed {@code seed} makes the
 * output the same on every run given the same logits.
 */
public record SamplerConfig(float temperature, int topK, float topP, float minP, float repeatPenalty, int repeatLastN,
                            float frequencyPenalty, float presencePenalty, long seed) {

    public SamplerConfig {
        if (!(temperature >= 0 && Float.isFinite(temperature))) {
            throw new IllegalArgumentException("temperature must be finite and >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0 (0 switches it off), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
        if (!(minP >= 0 && minP <= 1)) {
            throw new IllegalArgumentException("minP must be in [0, 1], got " + minP);
        }
        if (!(repeatPenalty > 0 && Float.isFinite(repeatPenalty))) {
            throw new IllegalArgumentException("repeatPenalty must be finite and > 0 (1 switches it off), got " + repeatPenalty);
        }
        if (repeatLastN < 0) {
            throw new IllegalArgumentException("repeatLastN must be >= 0, got " + repeatLastN);
        }
        if (!Float.isFinite(frequencyPenalty)) {
            throw new IllegalArgumentException("frequencyPenalty must be finite, got " + frequencyPenalty);
        }
        if (!Float.isFinite(presencePenalty)) {
            throw new IllegalArgumentException("presencePenalty must be finite, got " + presencePenalty);
        }
    }

    /** llama.cpp's defaults, with a fresh random seed. */
    public static SamplerConfig defaults() {
        return new SamplerConfig(0.8f, 40, 0.95f, 0.05f, 1.0f, 64, 0f, 0f, new SecureRandom().nextLong());
    }

    /** Always the most likely token (after penalties); the seed plays no part. */
    public static SamplerConfig greedy() {
        return new SamplerConfig(0f, 40, 0.95f, 0.05f, 1.0f, 64, 0f, 0f, 0L);
    }

    public SamplerConfig withTemperature(float t) {
        return new SamplerConfig(t, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, seed);
    }

    public SamplerConfig withTopK(int k) {
        return new SamplerConfig(temperature, k, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, seed);
    }

    public SamplerConfig withTopP(float p) {
        return new SamplerConfig(temperature, topK, p, minP, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, seed);
    }

    public SamplerConfig withMinP(float p) {
        return new SamplerConfig(temperature, topK, topP, p, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, seed);
    }

    public SamplerConfig withSeed(long s) {
        return new SamplerConfig(temperature, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, s);
    }

    public SamplerConfig withRepeatPenalty(float p) {
        return new SamplerConfig(temperature, topK, topP, minP, p, repeatLastN, frequencyPenalty, presencePenalty, seed);
    }

    public SamplerConfig withRepeatLastN(int n) {
        return new SamplerConfig(temperature, topK, topP, minP, repeatPenalty, n, frequencyPenalty, presencePenalty, seed);
    }

    public SamplerConfig withFrequencyPenalty(float p) {
        return new SamplerConfig(temperature, topK, topP, minP, repeatPenalty, repeatLastN, p, presencePenalty, seed);
    }

    public SamplerConfig withPresencePenalty(float p) {
        return new SamplerConfig(temperature, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty, p, seed);
    }
}

package eu.souverain.engine.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class SamplerConfigTest {

    @Test
    void defaultsAreLlamaCppDefaults() {
        SamplerConfig config = SamplerConfig.defaults();

        assertThat(config.temperature()).isEqualTo(0.8f);
        assertThat(config.topK()).isEqualTo(40);
        assertThat(config.topP()).isEqualTo(0.95f);
        assertThat(config.minP()).isEqualTo(0.05f);
        assertThat(config.repeatPenalty()).isEqualTo(1.0f);
        assertThat(config.repeatLastN()).isEqualTo(64);
        assertThat(config.frequencyPenalty()).isZero();
        assertThat(config.presencePenalty()).isZero();
    }

    @Test
    void defaultsDrawAFreshSeedEachTime() {
        assertThat(SamplerConfig.defaults().seed()).isNotEqualTo(SamplerConfig.defaults().seed());
    }

    @Test
    void greedyHasTemperatureZero() {
        assertThat(SamplerConfig.greedy().temperature()).isZero();
    }

    @Test
    void eachWitherChangesOnlyItsField() {
        SamplerConfig base = new SamplerConfig(0.8f, 40, 0.95f, 0.05f, 1.0f, 64, 0f, 0f, 7L);

        assertThat(base.withTemperature(0.3f)).isEqualTo(new SamplerConfig(0.3f, 40, 0.95f, 0.05f, 1.0f, 64, 0f, 0f, 7L));
        assertThat(base.withTopK(5)).isEqualTo(new SamplerConfig(0.8f, 5, 0.95f, 0.05f, 1.0f, 64, 0f, 0f, 7L));
        assertThat(base.withTopP(0.5f)).isEqualTo(new SamplerConfig(0.8f, 40, 0.5f, 0.05f, 1.0f, 64, 0f, 0f, 7L));
        assertThat(base.withMinP(0.1f)).isEqualTo(new SamplerConfig(0.8f, 40, 0.95f, 0.1f, 1.0f, 64, 0f, 0f, 7L));
        assertThat(base.withRepeatPenalty(1.1f)).isEqualTo(new SamplerConfig(0.8f, 40, 0.95f, 0.05f, 1.1f, 64, 0f, 0f, 7L));
        assertThat(base.withRepeatLastN(8)).isEqualTo(new SamplerConfig(0.8f, 40, 0.95f, 0.05f, 1.0f, 8, 0f, 0f, 7L));
        assertThat(base.withFrequencyPenalty(0.2f)).isEqualTo(new SamplerConfig(0.8f, 40, 0.95f, 0.05f, 1.0f, 64, 0.2f, 0f, 7L));
        assertThat(base.withPresencePenalty(-0.4f)).isEqualTo(new SamplerConfig(0.8f, 40, 0.95f, 0.05f, 1.0f, 64, 0f, -0.4f, 7L));
        assertThat(base.withSeed(9L)).isEqualTo(new SamplerConfig(0.8f, 40, 0.95f, 0.05f, 1.0f, 64, 0f, 0f, 9L));
    }

    static Stream<Arguments> invalidConfigs() {
        SamplerConfig base = SamplerConfig.greedy();
        return Stream.of(
                invalid("temperature", () -> base.withTemperature(-0.1f)),
                invalid("temperature", () -> base.withTemperature(Float.NaN)),
                invalid("temperature", () -> base.withTemperature(Float.POSITIVE_INFINITY)),
                invalid("topK", () -> base.withTopK(-1)),
                invalid("topP", () -> base.withTopP(0f)),
                invalid("topP", () -> base.withTopP(1.01f)),
                invalid("topP", () -> base.withTopP(Float.NaN)),
                invalid("minP", () -> base.withMinP(-0.01f)),
                invalid("minP", () -> base.withMinP(1.5f)),
                invalid("minP", () -> base.withMinP(Float.NaN)),
                invalid("repeatPenalty", () -> base.withRepeatPenalty(0f)),
                invalid("repeatPenalty", () -> base.withRepeatPenalty(Float.POSITIVE_INFINITY)),
                invalid("repeatPenalty", () -> base.withRepeatPenalty(Float.NaN)),
                invalid("repeatLastN", () -> base.withRepeatLastN(-1)),
                invalid("frequencyPenalty", () -> base.withFrequencyPenalty(Float.NaN)),
                invalid("frequencyPenalty", () -> base.withFrequencyPenalty(Float.NEGATIVE_INFINITY)),
                invalid("presencePenalty", () -> base.withPresencePenalty(Float.POSITIVE_INFINITY)));
    }

    private static Arguments invalid(String field, Supplier<SamplerConfig> build) {
        return Arguments.of(field, build);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidConfigs")
    void invalidValuesAreRefusedNamingTheField(String field, Supplier<SamplerConfig> build) {
        assertThatThrownBy(build::get)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(field + " ");
    }

    @Test
    void boundaryValuesAreAccepted() {
        SamplerConfig config = new SamplerConfig(0f, 0, 1f, 1f, 0.5f, 0, -2f, -2f, 0L);

        assertThat(config.topP()).isEqualTo(1f);
        assertThat(config.minP()).isEqualTo(1f);
    }
}

package eu.souverain.engine.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.engine.TestFiles;
import eu.souverain.engine.sample.JsonConstraint;
import eu.souverain.engine.sample.JsonSchema;
import eu.souverain.engine.sample.Sampler;
import eu.souverain.engine.sample.SamplerConfig;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The stories model, which has never seen JSON, writes only JSON under a constraint, and ends it. */
class ConstrainedGenerationTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everySeedWritesAWholeObject() throws IOException {
        Map<String, Object> schema = Map.of("type", "object", "properties", Map.of(
                "hero", Map.of("type", "string"), "age", Map.of("type", "integer"),
                "friends", Map.of("type", "array", "items", Map.of("type", "string"), "maxItems", 3)),
                "required", List.of("hero", "age"));
        try (LlamaModel model = LlamaModel.load(TestFiles.shared("models/stories260K.gguf"));
             InferenceState state = model.newState(1)) {
            Generator generator = new Generator(model, state);
            int[] prompt = model.tokenizer().encode("Once upon a time");
            int[] withBos = new int[prompt.length + 1];
            withBos[0] = model.tokenizer().bosToken();
            System.arraycopy(prompt, 0, withBos, 1, prompt.length);
            JsonSchema story = JsonSchema.compile(schema, true);
            for (JsonSchema compiled : List.of(JsonSchema.anyObject(), story)) {
                for (long seed = 1; seed <= 5; seed++) {
                    JsonConstraint constraint = new JsonConstraint(compiled, model.tokenizer(), 80);
                    Sampler sampler = new Sampler(SamplerConfig.defaults().withTemperature(1f).withSeed(seed),
                            model.config().vocabularySize(), constraint);
                    StringBuilder text = new StringBuilder();
                    Generator.Result result = generator.generate(withBos, sampler, 80, List.of(), text::append);
                    assertThat(result.finish()).as(text.toString()).isEqualTo(FinishReason.STOP);
                    JsonNode parsed = JSON.readTree(text.toString());
                    assertThat(parsed.isObject()).as(text.toString()).isTrue();
                    if (compiled == story) {
                        assertThat(parsed.get("hero").isTextual()).isTrue();
                        assertThat(parsed.get("age").isIntegralNumber()).isTrue();
                    }
                }
            }
        }
    }
}

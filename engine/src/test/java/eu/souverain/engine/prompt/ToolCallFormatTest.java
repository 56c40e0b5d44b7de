package eu.souverain.engine.prompt;

import static org.assertj.core.api.Assertions.assertThat;

import eu.souverain.engine.TestFiles;
import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.sample.JsonSchema;
import eu.souverain.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ToolCallFormatTest {

    private static final Map<String, Object> WEATHER = Map.of("type", "function", "function", Map.of(
            "name", "get_weather", "parameters", Map.of("type", "object",
                    "properties", Map.of("city", Map.of("type", "string")), "required", List.of("city"))));

    @Test
    void mistralCallsAreAJsonArrayAfterTheirControlToken() {
        List<ToolCall> calls = ToolCallFormat.MISTRAL.parse(
                "[TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}},"
                        + " {\"name\": \"get_time\", \"arguments\": \"{\\\"zone\\\": \\\"CET\\\"}\"}]");
        assertThat(calls).extracting(ToolCall::name).containsExactly("get_weather", "get_time");
        assertThat(calls).extracting(ToolCall::arguments).containsExactly("{\"city\":\"Paris\"}", "{\"zone\":\"CET\"}");
        assertThat(calls).allSatisfy(call -> assertThat(call.id()).matches("[a-zA-Z0-9]{9}"));
        assertThat(calls.get(0).id()).isNotEqualTo(calls.get(1).id());
        // The control token renders as no text: the bare array is a call too.
        assertThat(ToolCallFormat.MISTRAL.parse("[{\"name\":\"f\",\"arguments\":{}}]")).hasSize(1);
        assertThat(ToolCallFormat.MISTRAL.parse("It is sunny in Paris.")).isNull();
        assertThat(ToolCallFormat.MISTRAL.parse("[TOOL_CALLS] [{\"name\": \"f\", \"arguments\": {")).isNull();
        assertThat(ToolCallFormat.MISTRAL.parse("[{\"arguments\":{}}]")).isNull();
    }

    @Test
    void llama3CallsAreAnObjectWithParameters() {
        List<ToolCall> calls = ToolCallFormat.LLAMA3.parse(
                "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Lyon\"}}");
        assertThat(calls).singleElement().satisfies(call -> {
            assertThat(call.name()).isEqualTo("get_weather");
            assertThat(call.arguments()).isEqualTo("{\"city\":\"Lyon\"}");
        });
        assertThat(ToolCallFormat.LLAMA3.parse("<|python_tag|>{\"name\": \"f\", \"parameters\": {}}")).hasSize(1);
        assertThat(ToolCallFormat.LLAMA3.parse("{\"answer\": 42}")).isNull();
    }

    @Test
    void hermesCallsAreTaggedObjects() {
        List<ToolCall> calls = ToolCallFormat.HERMES.parse("<tool_call>\n{\"name\": \"get_weather\", \"arguments\":"
                + " {\"city\": \"Nice\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>");
        assertThat(calls).extracting(ToolCall::name).containsExactly("get_weather", "get_time");
        assertThat(ToolCallFormat.HERMES.parse("<tool_call>\n{\"name\": \"f\", \"arguments\": {}}")).hasSize(1);
        assertThat(ToolCallFormat.HERMES.parse("Sure! <tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>"))
                .isNull();
    }

    @Test
    void aStreamedAnswerIsHeldOnlyWhileItMayOpenACall() {
        assertThat(ToolCallFormat.MISTRAL.mayOpen("")).isTrue();
        assertThat(ToolCallFormat.MISTRAL.mayOpen(" [TOOL")).isTrue();
        assertThat(ToolCallFormat.MISTRAL.mayOpen("[{\"name\"")).isTrue();
        assertThat(ToolCallFormat.MISTRAL.mayOpen("Once")).isFalse();
        assertThat(ToolCallFormat.HERMES.mayOpen("<tool")).isTrue();
        assertThat(ToolCallFormat.HERMES.mayOpen("<b>")).isFalse();
        assertThat(ToolCallFormat.LLAMA3.mayOpen("{")).isTrue();
        assertThat(ToolCallFormat.LLAMA3.mayOpen("The")).isFalse();
    }

    @Test
    void requiredCallSchemasAcceptWhatTheParserReads() {
        for (ToolCallFormat format : ToolCallFormat.values()) {
            JsonSchema schema = JsonSchema.compile(format.schema(List.of(WEATHER), null, true), true);
            String call = format.write(List.of(Map.of("function", Map.of("name", "get_weather",
                    "arguments", Map.of("city", "Paris")))));
            assertThat(schema).isNotNull();
            assertThat(format.parse(call)).as(call).singleElement()
                    .satisfies(parsed -> assertThat(parsed.arguments()).isEqualTo("{\"city\":\"Paris\"}"));
        }
    }

    @Test
    void theFormatFollowsTheVocabulary() throws IOException {
        try (GGUFFile file = GGUFFile.open(TestFiles.shared("models/tokenizers/ggml-vocab-llama-spm.gguf"))) {
            assertThat(ToolCallFormat.of(Tokenizer.fromMetadata(file.metadata()))).isEqualTo(ToolCallFormat.MISTRAL);
        }
    }
}

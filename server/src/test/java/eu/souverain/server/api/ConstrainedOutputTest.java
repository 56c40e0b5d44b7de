package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.model.SyntheticModel;
import eu.souverain.engine.tensor.GGMLType;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * JSON mode, JSON schemas and tool calls on models that know nothing of JSON: the bundled stories
 * model, and a random one with the same vocabulary and a context long enough for the tools'
 * description. Whatever they write must still parse, validate and end.
 */
class ConstrainedOutputTest {

    @TempDir
    static Path dir;

    private static final String USER = "\"messages\":[{\"role\":\"user\",\"content\":\"Tell me about the weather\"}]";
    /** The random model, for tools: their description alone nearly fills the stories model's 512 tokens. */
    private static final String RANDOM = "\"model\":\"random\"," + USER;
    private static final String WEATHER_PARAMETERS = "{\"type\":\"object\",\"properties\":{"
            + "\"city\":{\"type\":\"string\"},\"unit\":{\"enum\":[\"celsius\",\"fahrenheit\"]},\"days\":{\"type\":\"integer\"}},"
            + "\"required\":[\"city\",\"unit\"]}";
    private static final String WEATHER = "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
            + "\"description\":\"The weather in a city\",\"parameters\":" + WEATHER_PARAMETERS + "}}";
    private static final String TIME = "{\"type\":\"function\",\"function\":{\"name\":\"get_time\","
            + "\"parameters\":{\"type\":\"object\",\"properties\":{\"zone\":{\"type\":\"string\",\"maxLength\":6}},"
            + "\"required\":[\"zone\"]}}}";

    private static TestServer server;

    @BeforeAll
    static void start() throws IOException {
        Path random = dir.resolve("random.gguf");
        try (GGUFFile stories = GGUFFile.open(TestServer.BUNDLED_MODEL)) {
            SyntheticModel.write(random, new SyntheticModel.Shape(64, 2, 4, 4, 16, 128, 2048, 10000f, 0, false, false),
                    GGMLType.F32, new SyntheticModel.Init(5, 0.5f, 0f), stories.metadata());
        }
        server = new TestServer(Map.of("stories260K", TestServer.BUNDLED_MODEL, "random", random), 16, 1 << 20,
                Duration.ofSeconds(5));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static JsonNode choice(TestServer.Reply reply) {
        assertThat(reply.status()).as(reply.raw().body()).isEqualTo(200);
        return reply.body().get("choices").get(0);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5})
    void jsonModeAlwaysAnswersAnObject(int seed) {
        JsonNode choice = choice(server.post("{" + USER + ",\"response_format\":{\"type\":\"json_object\"},"
                + "\"temperature\":1,\"max_tokens\":60,\"seed\":" + seed + "}"));
        String content = choice.get("message").get("content").asText();
        assertThat(TestServer.parse(content).isObject()).as(content).isTrue();
        assertThat(choice.get("finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void aJsonSchemaIsFollowed() {
        for (int seed = 1; seed <= 4; seed++) {
            JsonNode choice = choice(server.post("{" + USER + ",\"response_format\":{\"type\":\"json_schema\","
                    + "\"json_schema\":{\"name\":\"weather\",\"strict\":true,\"schema\":" + WEATHER_PARAMETERS + "}},"
                    + "\"temperature\":1,\"max_tokens\":50,\"seed\":" + seed + "}"));
            JsonNode answer = TestServer.parse(choice.get("message").get("content").asText());
            assertWeather(answer);
        }
    }

    private static void assertWeather(JsonNode arguments) {
        assertThat(arguments.get("city").isTextual()).as(arguments.toString()).isTrue();
        assertThat(arguments.get("unit").asText()).isIn("celsius", "fahrenheit");
        assertThat(arguments.has("days") ? arguments.get("days").isIntegralNumber() : true).isTrue();
        List<String> names = new ArrayList<>();
        arguments.fieldNames().forEachRemaining(names::add);
        assertThat(names).isSubsetOf("city", "unit", "days");
    }

    @Test
    void streamedJsonModeParsesWhole() {
        StringBuilder content = new StringBuilder();
        String finish = null;
        for (String event : server.stream("{" + USER + ",\"response_format\":{\"type\":\"json_object\"},"
                + "\"temperature\":1,\"max_tokens\":40,\"seed\":9,\"stream\":true}")) {
            if (event.equals("[DONE]")) {
                continue;
            }
            JsonNode choice = TestServer.parse(event).get("choices").get(0);
            content.append(choice.get("delta").path("content").asText(""));
            if (!choice.get("finish_reason").isNull()) {
                finish = choice.get("finish_reason").asText();
            }
        }
        assertThat(TestServer.parse(content.toString()).isObject()).as(content.toString()).isTrue();
        assertThat(finish).isEqualTo("stop");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"required\"", "\"any\""})
    void aRequiredCallIsACallOfTheTool(String toolChoice) {
        for (int seed = 1; seed <= 3; seed++) {
            JsonNode choice = choice(server.post("{" + RANDOM + ",\"tools\":[" + WEATHER + "],\"tool_choice\":" + toolChoice
                    + ",\"temperature\":1,\"max_tokens\":60,\"seed\":" + seed + "}"));
            assertThat(choice.get("finish_reason").asText()).isEqualTo("tool_calls");
            JsonNode message = choice.get("message");
            assertThat(message.get("content").isNull()).isTrue();
            assertThat(message.get("tool_calls")).hasSize(1);
            JsonNode call = message.get("tool_calls").get(0);
            assertThat(call.get("id").asText()).matches("[a-zA-Z0-9]{9}");
            assertThat(call.get("type").asText()).isEqualTo("function");
            assertThat(call.get("function").get("name").asText()).isEqualTo("get_weather");
            assertWeather(TestServer.parse(call.get("function").get("arguments").asText()));
        }
    }

    @Test
    void aNamedFunctionIsTheOneCalled() {
        JsonNode choice = choice(server.post("{" + RANDOM + ",\"tools\":[" + WEATHER + "," + TIME + "],"
                + "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_time\"}},"
                + "\"parallel_tool_calls\":false,\"temperature\":1,\"max_tokens\":40,\"seed\":3}"));
        assertThat(choice.get("finish_reason").asText()).as(choice.toString()).isEqualTo("tool_calls");
        JsonNode call = choice.get("message").get("tool_calls").get(0);
        assertThat(call.get("function").get("name").asText()).isEqualTo("get_time");
        JsonNode arguments = TestServer.parse(call.get("function").get("arguments").asText());
        assertThat(arguments.get("zone").asText().codePointCount(0, arguments.get("zone").asText().length()))
                .isLessThanOrEqualTo(6);
    }

    @Test
    void parallelCallsMayBeSeveralEachOfATool() {
        JsonNode choice = choice(server.post("{" + RANDOM + ",\"tools\":[" + WEATHER + "," + TIME + "],"
                + "\"tool_choice\":\"required\",\"temperature\":1,\"max_tokens\":80,\"seed\":5}"));
        assertThat(choice.get("finish_reason").asText()).as(choice.toString()).isEqualTo("tool_calls");
        assertThat(choice.get("message").get("tool_calls")).isNotEmpty();
        for (JsonNode call : choice.get("message").get("tool_calls")) {
            assertThat(call.get("function").get("name").asText()).isIn("get_weather", "get_time");
            assertThat(TestServer.parse(call.get("function").get("arguments").asText()).isObject()).isTrue();
        }
    }

    @Test
    void streamedCallsArriveAsToolCallDeltas() {
        List<JsonNode> deltas = new ArrayList<>();
        String finish = null;
        for (String event : server.stream("{" + RANDOM + ",\"tools\":[" + WEATHER + "],\"tool_choice\":\"required\","
                + "\"temperature\":1,\"max_tokens\":60,\"seed\":2,\"stream\":true}")) {
            if (event.equals("[DONE]")) {
                continue;
            }
            JsonNode choice = TestServer.parse(event).get("choices").get(0);
            if (choice.get("delta").has("tool_calls")) {
                deltas.add(choice.get("delta").get("tool_calls"));
            }
            assertThat(choice.get("delta").path("content").asText("")).isEmpty();
            if (!choice.get("finish_reason").isNull()) {
                finish = choice.get("finish_reason").asText();
            }
        }
        assertThat(finish).isEqualTo("tool_calls");
        assertThat(deltas).hasSize(1);
        JsonNode call = deltas.getFirst().get(0);
        assertThat(call.get("index").asInt()).isZero();
        assertThat(call.get("id").asText()).hasSize(9);
        assertThat(call.get("function").get("name").asText()).isEqualTo("get_weather");
        assertWeather(TestServer.parse(call.get("function").get("arguments").asText()));
    }

    @Test
    void toolChoiceNoneAndAutoLeaveTheAnswerText() {
        JsonNode none = choice(server.post("{" + USER + ",\"tools\":[" + WEATHER + "],\"tool_choice\":\"none\","
                + "\"temperature\":0,\"max_tokens\":20}"));
        JsonNode plain = choice(server.post("{" + USER + ",\"temperature\":0,\"max_tokens\":20}"));
        assertThat(none.get("message").get("content").asText()).isEqualTo(plain.get("message").get("content").asText());
        JsonNode auto = choice(server.post("{" + USER + ",\"tools\":[" + WEATHER + "],\"temperature\":0,\"max_tokens\":20}"));
        assertThat(auto.get("message").get("content").asText()).isNotBlank();
        assertThat(auto.get("message").has("tool_calls")).isFalse();
    }

    @Test
    void aConversationWithCallsAndResultsRenders() {
        TestServer.Reply reply = server.post("{\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"abcDEF123\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\",\\\"unit\\\":\\\"celsius\\\"}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"abcDEF123\",\"name\":\"get_weather\",\"content\":\"21 degrees\"}],"
                + "\"tools\":[" + WEATHER + "],\"temperature\":0,\"max_tokens\":10}");
        assertThat(choice(reply).get("message").get("content").isTextual()).isTrue();
        assertThat(reply.body().get("usage").get("prompt_tokens").asInt()).isGreaterThan(50);
    }
}

package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every request field whose size scales the work or memory of a request, pushed past its bound by
 * a hostile client: each is refused with a 400 naming the field before any work is queued, and the
 * server goes on answering an ordinary request at once.
 */
class WorkScalingParametersTest {

    private static TestServer server;

    @BeforeAll
    static void start() throws IOException {
        // The default body limit: the bounds below must hold well inside it.
        server = new TestServer(Map.of("stories260K", TestServer.BUNDLED_MODEL), 16, ApiServer.Settings.DEFAULT_MAX_BODY_BYTES,
                Duration.ofSeconds(5));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String chat(String extra) {
        return "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":8" + extra + "}";
    }

    private static String schema(String schema) {
        return chat(",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":" + schema
                + "}}");
    }

    private static void assertRefused(TestServer.Reply reply, String param, String message) {
        assertThat(reply.status()).as(reply.raw().body()).isEqualTo(400);
        assertThat(reply.body().get("error").get("param").asText()).isEqualTo(param);
        assertThat(reply.body().get("error").get("message").asText()).contains(message);
    }

    private static void assertStillAnswering() {
        TestServer.Reply ordinary = server.post(chat(""));
        assertThat(ordinary.status()).as(ordinary.raw().body()).isEqualTo(200);
    }

    @Test
    void hostileSchemasAreRefusedWhenCompiledNamingTheirKeyword() {
        String param = "response_format.json_schema.schema";
        List<String[]> hostile = List.of(
                new String[] {"{\"type\":\"string\",\"minLength\":2147483647}", "minLength 2147483647"},
                new String[] {"{\"type\":\"object\",\"properties\":{\"s\":{\"type\":\"string\",\"minLength\":100000000}},"
                        + "\"required\":[\"s\"]}", "schema.properties.s.minLength 100000000"},
                new String[] {"{\"type\":\"array\",\"minItems\":2147483647,\"items\":{\"type\":\"integer\"}}",
                        "minItems 2147483647"},
                new String[] {"{\"anyOf\":[{\"type\":\"null\"},{\"type\":\"array\",\"minItems\":1000000000}]}",
                        "schema.anyOf[1].minItems"},
                new String[] {"{\"type\":\"array\",\"items\":".repeat(100) + "{\"type\":\"null\"}" + "}".repeat(100),
                        "nests deeper than"},
                new String[] {"{\"enum\":" + numbers(5000) + "}", "schema.enum has 5000 values"});
        for (String[] h : hostile) {
            long start = System.nanoTime();
            assertRefused(server.post(schema(h[0])), param, h[1]);
            System.out.printf("hostile schema (%s) refused in %.1f ms%n", h[1], (System.nanoTime() - start) / 1e6);
        }
        assertStillAnswering();
    }

    @Test
    void aSchemaWhoseShortestAnswerCannotFitTheRequestsTokensIsRefusedBeforeItIsQueued() {
        // 2,000 characters fit the schema compiler's bound, not an answer of 8 tokens of this model.
        assertRefused(server.post(schema("{\"type\":\"object\",\"properties\":{\"s\":{\"type\":\"string\",\"minLength\":2000}},"
                + "\"required\":[\"s\"]}")), "response_format", "schema.properties.s.minLength 2000");
        assertStillAnswering();
    }

    @Test
    void stopsToolsMessagesAndMetadataAreBoundedByCountAndSize() {
        List<String> stops = new ArrayList<>();
        for (int i = 0; i <= RequestLimits.MAX_STOPS; i++) {
            stops.add("\"s" + i + "\"");
        }
        assertRefused(server.post(chat(",\"stop\":[" + String.join(",", stops) + "]")), "stop", "at most 16");
        assertRefused(server.post(chat(",\"stop\":\"" + "x".repeat(RequestLimits.MAX_STOP_CHARS + 1) + "\"")), "stop",
                "at most 256");
        List<String> tools = new ArrayList<>();
        for (int i = 0; i <= RequestLimits.MAX_TOOLS; i++) {
            tools.add("{\"type\":\"function\",\"function\":{\"name\":\"f" + i + "\",\"parameters\":{\"type\":\"object\"}}}");
        }
        assertRefused(server.post(chat(",\"tools\":[" + String.join(",", tools) + "]")), "tools", "at most 128");
        StringBuilder messages = new StringBuilder("{\"messages\":[");
        for (int i = 0; i <= RequestLimits.MAX_MESSAGES; i++) {
            messages.append(i > 0 ? "," : "").append(i % 2 == 0 ? "{\"role\":\"user\",\"content\":\"a\"}"
                    : "{\"role\":\"assistant\",\"content\":\"b\"}");
        }
        assertRefused(server.post(messages.append("],\"max_tokens\":1}").toString()), "messages", "at most 4096");
        StringBuilder metadata = new StringBuilder();
        for (int i = 0; i <= RequestLimits.MAX_METADATA_PAIRS; i++) {
            metadata.append(i > 0 ? "," : "").append("\"k").append(i).append("\":\"v\"");
        }
        assertRefused(server.post(chat(",\"store\":false,\"metadata\":{" + metadata + "}")), "metadata", "at most 16");
        assertRefused(server.post(chat(",\"metadata\":{\"k\":\"" + "v".repeat(513) + "\"}")), "metadata.k", "at most 512");
        assertStillAnswering();
    }

    @Test
    void embeddingsAreBoundedByInputsAndTokensInAll() {
        List<String> many = new ArrayList<>();
        for (int i = 0; i <= RequestLimits.MAX_EMBEDDING_INPUTS; i++) {
            many.add("\"Once\"");
        }
        assertRefused(server.post("/v1/embeddings", "{\"input\":[" + String.join(",", many) + "]}"), "input",
                "at most 2048");
        // Each input fits the context; together they are past the request's tokens.
        String input = "\"" + "Once upon a time, there was a little girl. ".repeat(12) + "\"";
        List<String> long_ = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            long_.add(input);
        }
        assertRefused(server.post("/v1/embeddings", "{\"input\":[" + String.join(",", long_) + "]}"), "input",
                "tokens in all");
        assertThat(server.post("/v1/embeddings", "{\"input\":\"Once\"}").status()).isEqualTo(200);
    }

    private static String numbers(int count) {
        List<String> values = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            values.add(Integer.toString(i));
        }
        return "[" + String.join(",", values) + "]";
    }

}

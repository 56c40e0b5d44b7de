package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every refusal: its status, its error body in the shape both SDK families parse, and the request id. */
class ApiErrorsTest {

    private static TestServer server;

    @BeforeAll
    static void start() throws IOException {
        server = TestServer.bundled();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static final String USER = "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";

    /** Checks the body both shapes share and returns the message. */
    private static String error(TestServer.Reply reply, int status, String code, String param) {
        assertThat(reply.status()).as(reply.raw().body()).isEqualTo(status);
        assertThat(reply.header("content-type")).startsWith("application/json");
        assertThat(reply.header("x-request-id")).isNotBlank();
        JsonNode body = reply.body();
        assertThat(body.get("object").asText()).isEqualTo("error");
        JsonNode nested = body.get("error");
        for (String field : new String[] {"message", "type", "param", "code"}) {
            assertThat(body.get(field)).as(field).isEqualTo(nested.get(field));
        }
        assertThat(body.get("code").asText()).isEqualTo(code);
        if (param == null) {
            assertThat(body.get("param").isNull()).isTrue();
        } else {
            assertThat(body.get("param").asText()).isEqualTo(param);
        }
        assertThat(body.get("type").asText()).isNotBlank();
        return body.get("message").asText();
    }

    @Test
    void malformedJsonIs400() {
        assertThat(error(server.post("{\"messages\": [}"), 400, "invalid_json", null)).contains("not valid JSON");
        assertThat(error(server.post(""), 400, "invalid_json", null)).contains("empty");
        assertThat(error(server.post("{" + USER + "} trailing"), 400, "invalid_json", null)).contains("not valid JSON");
        assertThat(error(server.post("[1, 2]"), 422, "invalid_type", null)).contains("JSON object");
    }

    @Test
    void anUnknownFieldIs422NamingIt() {
        String message = error(server.post("{" + USER + ",\"temprature\":0.5}"), 422, "unknown_field", "temprature");
        assertThat(message).contains("'temprature'");
        error(server.post("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\",\"mood\":\"x\"}]}"),
                422, "unknown_field", "messages[0].mood");
    }

    @Test
    void wrongTypesAre422NamingTheFieldAndWhatWasExpected() {
        assertThat(error(server.post("{" + USER + ",\"temperature\":\"hot\"}"), 422, "invalid_type", "temperature"))
                .contains("must be a number, got a string");
        assertThat(error(server.post("{" + USER + ",\"max_tokens\":1.5}"), 422, "invalid_type", "max_tokens"))
                .contains("an integer");
        assertThat(error(server.post("{" + USER + ",\"stream\":\"yes\"}"), 422, "invalid_type", "stream"))
                .contains("a boolean");
        assertThat(error(server.post("{" + USER + ",\"stop\":[1]}"), 422, "invalid_type", "stop"))
                .contains("a string or an array of strings");
        assertThat(error(server.post("{\"messages\":{}}"), 422, "invalid_type", "messages")).contains("an array");
        assertThat(error(server.post("{\"messages\":[{\"role\":\"user\",\"content\":7}]}"), 422, "invalid_type",
                "messages[0].content")).contains("a string or an array of content parts");
        error(server.post("{\"model\":\"stories260K\"}"), 422, "missing_field", "messages");
    }

    @Test
    void badValuesAre400() {
        error(server.post("{\"messages\":[]}"), 400, "invalid_value", "messages");
        assertThat(error(server.post("{" + USER + ",\"n\":9}"), 400, "invalid_value", "n")).contains("between 1 and 8");
        error(server.post("{" + USER + ",\"temperature\":3}"), 400, "invalid_value", "temperature");
        error(server.post("{" + USER + ",\"top_p\":0}"), 400, "invalid_value", "top_p");
        error(server.post("{" + USER + ",\"max_tokens\":-1}"), 400, "invalid_value", "max_tokens");
        error(server.post("{" + USER + ",\"seed\":1,\"random_seed\":2}"), 400, "invalid_value", "seed");
        error(server.post("{\"messages\":[{\"role\":\"robot\",\"content\":\"Hi\"}]}"), 400, "invalid_value",
                "messages[0].role");
        error(server.post("{\"messages\":[{\"role\":\"assistant\",\"content\":\"Hi\",\"prefix\":true},"
                + "{\"role\":\"user\",\"content\":\"Hi\"}]}"), 400, "invalid_value", "messages[0].prefix");
        error(server.post("{" + USER + ",\"stream_options\":{\"include_usage\":true}}"), 400, "invalid_value",
                "stream_options");
    }

    @Test
    void unimplementedFeaturesAreRefusedByName() {
        assertThat(error(server.post("{" + USER + ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":"
                + "{\"name\":\"s\",\"schema\":{\"type\":\"string\",\"pattern\":\"a+\"}}}}"),
                400, "invalid_value", "response_format.json_schema.schema")).contains("'pattern'");
        assertThat(error(server.post("{" + USER + ",\"tools\":[{\"type\":\"custom\",\"function\":{\"name\":\"f\"}}]}"),
                400, "unsupported_feature", "tools[0].type")).contains("'custom'");
        assertThat(error(server.post("{" + USER + ",\"tool_choice\":\"required\"}"), 400, "invalid_value",
                "tool_choice")).contains("no tools");
        assertThat(error(server.post("{" + USER + ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
                + "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"g\"}}}"), 400, "invalid_value",
                "tool_choice.function.name")).contains("'g'");
        assertThat(error(server.post("{" + USER + ",\"functions\":[{\"name\":\"f\"}]}"), 400, "unsupported_feature",
                "functions")).contains("send them as tools");
        assertThat(error(server.post("{" + USER + ",\"logprobs\":true}"), 400, "unsupported_feature", "logprobs"))
                .isEqualTo("logprobs are not supported yet");
        error(server.post("{" + USER + ",\"top_logprobs\":3}"), 400, "unsupported_feature", "top_logprobs");
        error(server.post("{" + USER + ",\"logit_bias\":{\"5\":10}}"), 400, "unsupported_feature", "logit_bias");
        error(server.post("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}]}"),
                400, "unsupported_feature", "messages[0].content[0].type");
    }

    @Test
    void anUnknownModelIs404() {
        assertThat(error(server.post("{\"model\":\"gpt-9\"," + USER + "}"), 404, "model_not_found", "model"))
                .contains("'gpt-9'");
        error(server.get("/v1/models/gpt-9"), 404, "model_not_found", "model");
        error(server.get("/v1/nothing-here"), 404, "not_found", null);
    }

    @Test
    void aPromptLongerThanTheContextIs400NamingBothNumbers() {
        String longText = "Once upon a time there was a little dog. ".repeat(60);
        String message = error(server.post("{\"messages\":[{\"role\":\"user\",\"content\":\"" + longText + "\"}]}"),
                400, "context_length_exceeded", "messages");
        assertThat(message).containsPattern("the prompt has \\d{3,} tokens").contains("holds 512 tokens");
    }

    @Test
    void anOversizedBodyIs413BeforeItIsReadWhole() {
        String big = "{" + USER + ",\"user\":\"" + "x".repeat(70 << 10) + "\"}";
        error(server.post(big), 413, "request_too_large", null);
        // Without a declared length (chunked), the limit is enforced while reading.
        TestServer.Reply chunked = server.send(HttpRequest.newBuilder(server.uri("/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big.getBytes())))
                .build());
        error(chunked, 413, "request_too_large", null);
        assertThat(server.post("{" + USER + ",\"max_tokens\":2}").status()).isEqualTo(200);
    }

    @Test
    void everyResponseCarriesARequestIdEchoingASaneOne() {
        TestServer.Reply mine = server.send(HttpRequest.newBuilder(server.uri("/health"))
                .header("x-request-id", "client-123.abc").build());
        assertThat(mine.header("x-request-id")).isEqualTo("client-123.abc");
        TestServer.Reply insane = server.send(HttpRequest.newBuilder(server.uri("/health"))
                .header("x-request-id", "a b\"<script>").build());
        assertThat(insane.header("x-request-id")).startsWith("req_").doesNotContain(" ");
        assertThat(server.get("/v1/models").header("x-request-id")).startsWith("req_");
        assertThat(server.post("{" + USER + ",\"max_tokens\":1}").header("x-request-id")).startsWith("req_");
        assertThat(server.get("/nowhere").header("x-request-id")).startsWith("req_");
    }

    @Test
    void readyIs503UntilTheModelsAreLoaded() {
        try (ApiServer loading = TestServer.start(new ApiServer.Settings("127.0.0.1", 0, 1 << 20, Duration.ZERO))) {
            TestServer probe = new TestServer(loading);
            assertThat(probe.get("/health").status()).isEqualTo(200);
            error(probe.get("/ready"), 503, "not_ready", null);
            TestServer.Reply chat = probe.post("{" + USER + "}");
            error(chat, 503, "not_ready", null);
            assertThat(chat.header("retry-after")).isEqualTo("1");
            assertThat(chat.header("x-ratelimit-remaining-requests")).isEqualTo("0");
            assertThat(chat.header("x-ratelimit-reset-requests")).isEqualTo("1s");
        }
    }

    @Test
    void badRequestsLeaveTheServerServing() {
        for (String bad : new String[] {"{", "null", "{\"messages\":[null]}", "{\"messages\":[{\"role\":null}]}",
                "{\"messages\":[{\"role\":\"user\",\"content\":[null]}]}", "{\"messages\":[{\"role\":\"user\",\"content\":[{}]}]}"}) {
            TestServer.Reply reply = server.post(bad);
            assertThat(reply.status()).as(bad + " -> " + reply.raw().body()).isBetween(400, 499);
            assertThat(reply.body().get("error").get("message").asText()).isNotBlank();
        }
        assertThat(server.post("{" + USER + ",\"max_tokens\":2}").status()).isEqualTo(200);
    }
}

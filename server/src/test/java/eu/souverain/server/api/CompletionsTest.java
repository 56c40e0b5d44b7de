package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.engine.TestFiles;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Legacy text completions against the bundled model, checked against the reference implementation's output. */
class CompletionsTest {

    private static TestServer server;
    /** llama2.c's greedy continuation of "Once upon a time", 64 tokens. */
    private static String golden;

    @BeforeAll
    static void start() throws IOException {
        server = TestServer.bundled();
        golden = TestServer.JSON.readTree(TestFiles.shared("models/golden/stories260K-once-upon-a-time.json").toFile())
                .get("continuation").asText();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static final String ONCE = "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"temperature\":0,"
            + "\"max_tokens\":64";

    @Test
    void greedyContinuationIsTheReferenceOne() {
        TestServer.Reply reply = server.post("/v1/completions", ONCE + "}");
        assertThat(reply.status()).as(reply.raw().body()).isEqualTo(200);
        JsonNode body = reply.body();
        assertThat(body.get("id").asText()).startsWith("cmpl-");
        assertThat(body.get("object").asText()).isEqualTo("text_completion");
        assertThat(body.get("model").asText()).isEqualTo("stories260K");
        assertThat(body.get("created").asLong()).isPositive();
        JsonNode choice = body.get("choices").get(0);
        assertThat(choice.get("text").asText()).isEqualTo(golden);
        assertThat(choice.get("index").asInt()).isZero();
        assertThat(choice.has("logprobs") && choice.get("logprobs").isNull()).isTrue();
        assertThat(choice.get("finish_reason").asText()).isEqualTo("length");
        JsonNode usage = body.get("usage");
        assertThat(usage.get("prompt_tokens").asInt()).isEqualTo(5);
        assertThat(usage.get("completion_tokens").asInt()).isEqualTo(64);
        assertThat(usage.get("total_tokens").asInt()).isEqualTo(69);
    }

    @Test
    void aOneElementArrayIsTheSamePrompt() {
        TestServer.Reply reply = server.post("/v1/completions",
                "{\"prompt\":[\"Once upon a time\"],\"temperature\":0,\"max_tokens\":64}");
        assertThat(reply.body().get("choices").get(0).get("text").asText()).isEqualTo(golden);
    }

    @Test
    void echoPrependsThePrompt() {
        TestServer.Reply reply = server.post("/v1/completions", ONCE + ",\"echo\":true}");
        assertThat(reply.body().get("choices").get(0).get("text").asText()).isEqualTo("Once upon a time" + golden);
    }

    @Test
    void streamedPiecesComeInOrderAndMakeTheSameText() {
        List<String> events = server.stream("/v1/completions",
                ONCE + ",\"stream\":true,\"echo\":true,\"stream_options\":{\"include_usage\":true}}");
        assertThat(events.getLast()).isEqualTo("[DONE]");
        JsonNode usageChunk = TestServer.parse(events.get(events.size() - 2));
        assertThat(usageChunk.get("choices")).isEmpty();
        assertThat(usageChunk.get("usage").get("completion_tokens").asInt()).isEqualTo(64);
        JsonNode finish = TestServer.parse(events.get(events.size() - 3)).get("choices").get(0);
        assertThat(finish.get("finish_reason").asText()).isEqualTo("length");
        assertThat(finish.get("text").asText()).isEmpty();

        List<JsonNode> pieces = events.subList(0, events.size() - 3).stream().map(TestServer::parse).toList();
        assertThat(pieces.getFirst().get("choices").get(0).get("text").asText()).isEqualTo("Once upon a time");
        StringBuilder text = new StringBuilder();
        String id = pieces.getFirst().get("id").asText();
        for (JsonNode piece : pieces) {
            assertThat(piece.get("object").asText()).isEqualTo("text_completion");
            assertThat(piece.get("id").asText()).isEqualTo(id).startsWith("cmpl-");
            JsonNode choice = piece.get("choices").get(0);
            assertThat(choice.get("index").asInt()).isZero();
            assertThat(choice.get("finish_reason").isNull()).isTrue();
            text.append(choice.get("text").asText());
        }
        assertThat(pieces).hasSizeGreaterThan(10);
        assertThat(text.toString()).isEqualTo("Once upon a time" + golden);
    }

    @Test
    void noChatTemplateIsApplied() {
        // The chat route wraps the same words in the template; the answers must differ.
        String chat = server.post("{\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],"
                + "\"temperature\":0,\"max_tokens\":64}").body().get("choices").get(0).get("message").get("content").asText();
        assertThat(chat).isNotEqualTo(golden);
    }

    @Test
    void refusals() {
        assertRefused(server.post("/v1/completions", ONCE + ",\"messages\":[]}"), 422, "unknown_field", "messages");
        TestServer.Reply fill = server.post("/v1/completions", ONCE + ",\"suffix\":\"The end.\"}");
        assertRefused(fill, 400, "invalid_value", "suffix");
        assertThat(fill.body().get("message").asText()).contains("'stories260K' cannot fill in the middle");
        assertRefused(server.post("/v1/completions", ONCE + ",\"logprobs\":2}"), 400, "unsupported_feature", "logprobs");
        assertRefused(server.post("/v1/completions", ONCE + ",\"best_of\":3}"), 400, "unsupported_feature", "best_of");
        TestServer.Reply twoPrompts = server.post("/v1/completions", "{\"prompt\":[\"a\",\"b\"]}");
        assertRefused(twoPrompts, 400, "unsupported_feature", "prompt");
        assertThat(twoPrompts.body().get("message").asText()).contains("only one");
        assertRefused(server.post("/v1/completions", "{\"max_tokens\":3}"), 422, "missing_field", "prompt");
        assertRefused(server.post("/v1/completions", "{\"prompt\":7}"), 422, "invalid_type", "prompt");
        assertThat(server.post("/v1/completions", ONCE + ",\"best_of\":1,\"user\":\"u1\"}").status())
                .isEqualTo(200);
    }

    private static void assertRefused(TestServer.Reply reply, int status, String code, String param) {
        assertThat(reply.status()).as(reply.raw().body()).isEqualTo(status);
        assertThat(reply.body().get("error").get("code").asText()).isEqualTo(code);
        assertThat(reply.body().get("error").get("param").asText()).isEqualTo(param);
    }
}

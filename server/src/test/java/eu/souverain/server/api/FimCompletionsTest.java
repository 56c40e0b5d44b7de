package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.model.SyntheticModel;
import eu.souverain.engine.tensor.GGMLType;
import eu.souverain.engine.tokenizer.ExtendedVocabulary;
import eu.souverain.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fill in the middle: a random model whose vocabulary has Mistral's FIM tokens, and the stories model, which has none. */
class FimCompletionsTest {

    @TempDir
    static Path dir;

    private static TestServer server;
    private static Tokenizer tokenizer;

    @BeforeAll
    static void start() throws IOException {
        Path vocabulary = dir.resolve("vocabulary.gguf");
        try (GGUFFile stories = GGUFFile.open(TestServer.BUNDLED_MODEL)) {
            ExtendedVocabulary.write(stories.metadata(), vocabulary, "[SUFFIX]", "[PREFIX]", "[MIDDLE]");
        }
        Path coder = dir.resolve("coder.gguf");
        try (GGUFFile extended = GGUFFile.open(vocabulary)) {
            tokenizer = Tokenizer.fromMetadata(extended.metadata());
            SyntheticModel.write(coder, new SyntheticModel.Shape(64, 2, 4, 4, 16, 128, 256, 10000f, 0, false, false),
                    GGMLType.F32, SyntheticModel.Init.standard(2), extended.metadata());
        }
        server = new TestServer(Map.of("coder", coder, "stories260K", TestServer.BUNDLED_MODEL), 16, 1 << 20,
                Duration.ofSeconds(5));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static final String FILL = "\"prompt\":\"def add(a, b):\",\"suffix\":\"return total\",\"temperature\":0";

    private static int expectedPromptTokens() {
        return 1 + 3 + tokenizer.encode("def add(a, b):").length + tokenizer.encode("return total").length;
    }

    @Test
    void mistralsRouteAnswersAsAChatCompletion() {
        TestServer.Reply reply = server.post("/v1/fim/completions", "{\"model\":\"coder\"," + FILL
                + ",\"max_tokens\":8,\"random_seed\":1,\"min_tokens\":0,\"stop\":[\"\\n\\n\"],\"top_p\":1}");
        assertThat(reply.status()).as(reply.raw().body()).isEqualTo(200);
        JsonNode body = reply.body();
        assertThat(body.get("object").asText()).isEqualTo("chat.completion");
        JsonNode choice = body.get("choices").get(0);
        assertThat(choice.get("message").get("role").asText()).isEqualTo("assistant");
        assertThat(choice.get("message").get("content").isTextual()).isTrue();
        assertThat(body.get("usage").get("prompt_tokens").asInt()).isEqualTo(expectedPromptTokens());
        assertThat(body.get("usage").get("completion_tokens").asInt()).isBetween(1, 8);
    }

    @Test
    void theSameMiddleComesFromEitherRouteAndStreamed() {
        String fim = server.post("/v1/fim/completions", "{\"model\":\"coder\"," + FILL + ",\"max_tokens\":6}")
                .body().get("choices").get(0).get("message").get("content").asText();
        TestServer.Reply openAi = server.post("/v1/completions", "{\"model\":\"coder\"," + FILL + ",\"max_tokens\":6}");
        assertThat(openAi.status()).as(openAi.raw().body()).isEqualTo(200);
        assertThat(openAi.body().get("choices").get(0).get("text").asText()).isEqualTo(fim);
        assertThat(openAi.body().get("usage").get("prompt_tokens").asInt()).isEqualTo(expectedPromptTokens());
        StringBuilder streamed = new StringBuilder();
        List<String> events = server.stream("/v1/fim/completions", "{\"model\":\"coder\"," + FILL
                + ",\"max_tokens\":6,\"stream\":true}");
        for (String event : events) {
            if (!event.equals("[DONE]")) {
                JsonNode chunk = TestServer.parse(event);
                assertThat(chunk.get("object").asText()).isEqualTo("chat.completion.chunk");
                streamed.append(chunk.get("choices").get(0).get("delta").path("content").asText(""));
            }
        }
        assertThat(events.getLast()).isEqualTo("[DONE]");
        assertThat(streamed.toString()).isEqualTo(fim);
    }

    @Test
    void aModelWithoutFimTokensIsNamedInA400() {
        for (String path : List.of("/v1/fim/completions", "/v1/completions")) {
            TestServer.Reply reply = server.post(path, "{\"model\":\"stories260K\"," + FILL + "}");
            assertThat(reply.status()).isEqualTo(400);
            assertThat(reply.body().get("error").get("param").asText()).isEqualTo("suffix");
            assertThat(reply.body().get("error").get("message").asText())
                    .contains("'stories260K' cannot fill in the middle");
        }
    }

    @Test
    void fieldsMistralsFimApiLacksAre422() {
        TestServer.Reply reply = server.post("/v1/fim/completions", "{\"model\":\"coder\"," + FILL + ",\"messages\":[]}");
        assertThat(reply.status()).isEqualTo(422);
        assertThat(reply.body().get("error").get("param").asText()).isEqualTo("messages");
        assertThat(server.post("/v1/fim/completions", "{\"model\":\"coder\",\"suffix\":\"x\"}").status()).isEqualTo(422);
        assertThat(server.post("/v1/fim/completions", "{\"model\":\"coder\"," + FILL + ",\"min_tokens\":3}").status())
                .isEqualTo(400);
    }
}

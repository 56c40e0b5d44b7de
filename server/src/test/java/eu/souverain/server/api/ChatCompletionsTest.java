package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.engine.model.Generator;
import eu.souverain.engine.model.InferenceState;
import eu.souverain.engine.model.LlamaModel;
import eu.souverain.engine.sample.Sampler;
import eu.souverain.engine.sample.SamplerConfig;
import eu.souverain.engine.prompt.PromptTokens;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Chat completions against the bundled model: the answers the engine gives, in both wire shapes. */
class ChatCompletionsTest {

    private static TestServer server;

    @BeforeAll
    static void start() throws IOException {
        server = TestServer.bundled();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String request(String extra) {
        return "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story\"}]" + extra + "}";
    }

    /** What the engine itself writes for the rendered conversation: the API must add nothing and lose nothing. */
    private static String engineAnswer(List<Map<String, Object>> messages, SamplerConfig config, int maxTokens)
            throws IOException {
        try (LlamaModel model = LlamaModel.load(TestServer.BUNDLED_MODEL);
             InferenceState state = model.newState(1)) {
            int[] prompt = PromptTokens.chat(model.tokenizer(), model.chatTemplate().renderParts(messages, null, true));
            StringBuilder text = new StringBuilder();
            new Generator(model, state).generate(prompt, new Sampler(config, model.config().vocabularySize()),
                    maxTokens, List.of(), text::append);
            return text.toString();
        }
    }

    @Test
    void greedyAnswerIsTheEnginesOwn() throws IOException {
        TestServer.Reply reply = server.post(request(",\"temperature\":0,\"max_tokens\":40"));
        assertThat(reply.status()).as(reply.raw().body()).isEqualTo(200);
        JsonNode body = reply.body();
        assertThat(body.get("id").asText()).startsWith("chatcmpl-");
        assertThat(body.get("object").asText()).isEqualTo("chat.completion");
        assertThat(body.get("model").asText()).isEqualTo("stories260K");
        assertThat(body.get("created").asLong()).isPositive();
        JsonNode choice = body.get("choices").get(0);
        assertThat(choice.get("index").asInt()).isZero();
        assertThat(choice.get("message").get("role").asText()).isEqualTo("assistant");
        assertThat(choice.get("finish_reason").asText()).isEqualTo("length");
        String expected = engineAnswer(List.of(Map.of("role", "user", "content", "Tell me a story")),
                new SamplerConfig(0f, 0, 1f, 0f, 1f, 64, 0f, 0f, 0L), 40);
        assertThat(choice.get("message").get("content").asText()).isEqualTo(expected).isNotEmpty();
        JsonNode usage = body.get("usage");
        assertThat(usage.get("completion_tokens").asInt()).isEqualTo(40);
        assertThat(usage.get("total_tokens").asInt())
                .isEqualTo(usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt());
        assertThat(usage.get("prompt_tokens_details").get("cached_tokens").isInt()).isTrue();
        assertThat(reply.header("content-type")).startsWith("application/json");
    }

    @Test
    void theSamePromptAgainIsServedFromThePrefixCache() {
        String body = "{\"temperature\":0,\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"A cached prompt\"}]}";
        JsonNode first = server.post(body).body().get("usage");
        JsonNode second = server.post(body).body().get("usage");
        // The last prompt token always runs again for its logits.
        assertThat(second.get("prompt_tokens_details").get("cached_tokens").asInt())
                .isEqualTo(second.get("prompt_tokens").asInt() - 1);
        assertThat(second.get("prompt_tokens").asInt()).isEqualTo(first.get("prompt_tokens").asInt());
    }

    @Test
    void streamedChunksComeInOrderAndAddUpToTheAnswer() {
        String options = ",\"temperature\":1,\"seed\":7,\"max_tokens\":30";
        String answer = server.post(request(options)).body().get("choices").get(0).get("message").get("content").asText();

        List<String> events = server.stream(request(options + ",\"stream\":true"));
        assertThat(events.getLast()).isEqualTo("[DONE]");
        List<JsonNode> chunks = events.subList(0, events.size() - 1).stream().map(TestServer::parse).toList();
        assertThat(chunks).allSatisfy(c -> assertThat(c.get("object").asText()).isEqualTo("chat.completion.chunk"));
        assertThat(chunks.stream().map(c -> c.get("id").asText()).distinct()).hasSize(1);
        JsonNode first = chunks.getFirst().get("choices").get(0);
        assertThat(first.get("delta").get("role").asText()).isEqualTo("assistant");
        assertThat(first.get("delta").get("content").asText()).isEmpty();
        JsonNode last = chunks.getLast();
        assertThat(last.get("choices").get(0).get("finish_reason").asText()).isEqualTo("length");
        // Without stream_options, the usage rides on the finishing chunk, as Mistral sends it.
        assertThat(last.get("usage").get("completion_tokens").asInt()).isEqualTo(30);
        StringBuilder streamed = new StringBuilder();
        for (JsonNode chunk : chunks.subList(1, chunks.size() - 1)) {
            JsonNode choice = chunk.get("choices").get(0);
            assertThat(choice.get("finish_reason").isNull()).isTrue();
            streamed.append(choice.get("delta").get("content").asText());
        }
        assertThat(streamed.toString()).isEqualTo(answer).isNotEmpty();
    }

    @Test
    void includeUsageSendsOpenAIsSeparateUsageChunk() {
        List<String> events = server.stream(request(",\"max_tokens\":5,\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
        assertThat(events.getLast()).isEqualTo("[DONE]");
        JsonNode finish = TestServer.parse(events.get(events.size() - 3));
        JsonNode usage = TestServer.parse(events.get(events.size() - 2));
        assertThat(finish.get("choices").get(0).get("finish_reason").asText()).isEqualTo("length");
        assertThat(finish.has("usage")).isFalse();
        assertThat(usage.get("choices")).isEmpty();
        assertThat(usage.get("usage").get("completion_tokens").asInt()).isEqualTo(5);
    }

    @Test
    void aSeedMakesAnswersReproducibleAndEitherNameWorks() {
        String a = content(server.post(request(",\"temperature\":1,\"random_seed\":42,\"max_tokens\":30")));
        String b = content(server.post(request(",\"temperature\":1,\"seed\":42,\"max_tokens\":30")));
        String c = content(server.post(request(",\"temperature\":1,\"seed\":43,\"max_tokens\":30")));
        assertThat(b).isEqualTo(a);
        assertThat(c).isNotEqualTo(a);
    }

    @Test
    void nChoicesAreIndependentWithSeedPlusIndex() {
        JsonNode body = server.post(request(",\"temperature\":1,\"seed\":100,\"max_tokens\":20,\"n\":3")).body();
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            JsonNode choice = body.get("choices").get(i);
            assertThat(choice.get("index").asInt()).isEqualTo(i);
            answers.add(choice.get("message").get("content").asText());
            assertThat(answers.get(i)).isEqualTo(content(server.post(
                    request(",\"temperature\":1,\"seed\":" + (100 + i) + ",\"max_tokens\":20"))));
        }
        assertThat(answers).doesNotHaveDuplicates();
        assertThat(body.get("usage").get("completion_tokens").asInt()).isEqualTo(60);
    }

    @Test
    void stopStringsEndTheAnswerBeforeThem() {
        String free = content(server.post(request(",\"temperature\":0,\"max_tokens\":40")));
        String stop = free.substring(10, 13);
        TestServer.Reply reply = server.post(request(",\"temperature\":0,\"max_tokens\":40,\"stop\":[\"" + stop + "\"]"));
        assertThat(content(reply)).isEqualTo(free.substring(0, free.indexOf(stop)));
        assertThat(reply.body().get("choices").get(0).get("finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void prefixModeContinuesTheAssistantsLastMessage() throws IOException {
        String body = "{\"temperature\":0,\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story\"},"
                + "{\"role\":\"assistant\",\"content\":\"Once upon a time\",\"prefix\":true}]}";
        String answer = content(server.post(body));
        assertThat(answer).startsWith("Once upon a time");
        try (LlamaModel model = LlamaModel.load(TestServer.BUNDLED_MODEL);
             InferenceState state = model.newState(1)) {
            var parts = new ArrayList<>(model.chatTemplate().renderParts(
                    List.of(Map.of("role", "user", "content", "Tell me a story")), null, true));
            parts.add(new eu.souverain.engine.chat.PromptPart("Once upon a time", false));
            StringBuilder text = new StringBuilder();
            new Generator(model, state).generate(PromptTokens.chat(model.tokenizer(), parts),
                    new Sampler(new SamplerConfig(0f, 0, 1f, 0f, 1f, 64, 0f, 0f, 0L), model.config().vocabularySize()),
                    20, List.of(), text::append);
            assertThat(answer).isEqualTo("Once upon a time" + text);
        }
    }

    @Test
    void safePromptPrependsMistralsGuardrailAsTheSystemPrompt() throws IOException {
        int plain = server.post(request(",\"max_tokens\":1")).body().get("usage").get("prompt_tokens").asInt();
        int safe = server.post(request(",\"max_tokens\":1,\"safe_prompt\":true")).body().get("usage").get("prompt_tokens").asInt();
        try (LlamaModel model = LlamaModel.load(TestServer.BUNDLED_MODEL)) {
            int expected = PromptTokens.chat(model.tokenizer(), model.chatTemplate().renderParts(List.of(
                    Map.of("role", "system", "content", ChatCompletionRequests.SAFE_PROMPT),
                    Map.of("role", "user", "content", "Tell me a story")), null, true)).length;
            assertThat(safe).isEqualTo(expected).isGreaterThan(plain);
        }
    }

    @Test
    void contentPartsAndDeveloperMessagesAreAccepted() {
        TestServer.Reply reply = server.post("{\"max_tokens\":3,\"messages\":[{\"role\":\"developer\",\"content\":\"Be kind\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Tell me\"},{\"type\":\"text\",\"text\":\"a story\"}]}],"
                + "\"metadata\":{\"k\":\"v\"},\"user\":\"u1\",\"tool_choice\":\"none\",\"tools\":[],\"response_format\":{\"type\":\"text\"}}");
        assertThat(reply.status()).as(reply.raw().body()).isEqualTo(200);
    }

    @Test
    void modelsAreListedAndLookedUp() {
        TestServer.Reply list = server.get("/v1/models");
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.body().get("object").asText()).isEqualTo("list");
        JsonNode model = list.body().get("data").get(0);
        assertThat(model.get("id").asText()).isEqualTo("stories260K");
        assertThat(model.get("object").asText()).isEqualTo("model");
        assertThat(model.get("owned_by").asText()).isEqualTo("souverain");
        assertThat(model.get("created").asLong()).isPositive();
        TestServer.Reply one = server.get("/v1/models/stories260K");
        assertThat(one.status()).isEqualTo(200);
        assertThat(one.body()).isEqualTo(model);
        assertThat(server.get("/health").status()).isEqualTo(200);
        assertThat(server.get("/ready").status()).isEqualTo(200);
    }

    private static String content(TestServer.Reply reply) {
        assertThat(reply.status()).as(reply.raw().body()).isEqualTo(200);
        return reply.body().get("choices").get(0).get("message").get("content").asText();
    }
}

package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.request.json.JsonStringSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.mistralai.MistralAiChatModel;
import dev.langchain4j.model.mistralai.MistralAiEmbeddingModel;
import dev.langchain4j.model.mistralai.MistralAiModels;
import dev.langchain4j.model.mistralai.MistralAiStreamingChatModel;
import dev.langchain4j.model.mistralai.internal.api.MistralAiModelCard;
import dev.langchain4j.model.output.FinishReason;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** LangChain4j's Mistral AI client against the server on loopback, as it would call Mistral's API. */
class LangChain4jMistralClientTest {

    private static final String STORY = "Tell me a story";

    private static TestServer server;
    private static LoopbackOnly loopback;
    private static String baseUrl;

    @BeforeAll
    static void start() throws IOException {
        loopback = LoopbackOnly.install();
        server = TestServer.bundled();
        baseUrl = "http://127.0.0.1:" + server.server.port() + "/v1";
    }

    @AfterAll
    static void stop() {
        server.close();
        loopback.uninstall();
        assertThat(loopback.uris()).isNotEmpty().allSatisfy(uri -> assertThat(uri.getHost()).isEqualTo("127.0.0.1"));
    }

    private static MistralAiChatModel.MistralAiChatModelBuilder chat() {
        return MistralAiChatModel.builder().baseUrl(baseUrl).apiKey(server.apiKey).modelName("stories260K")
                .temperature(0.0).randomSeed(7).maxTokens(24).maxRetries(0).timeout(Duration.ofSeconds(30));
    }

    @Test
    void chatCompletion() {
        ChatResponse response = chat().build().chat(ChatRequest.builder().messages(UserMessage.from(STORY)).build());
        assertThat(response.aiMessage().text()).isNotBlank();
        assertThat(response.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(response.id()).startsWith("chatcmpl-");
        assertThat(response.modelName()).isEqualTo("stories260K");
        assertThat(response.tokenUsage().outputTokenCount()).isEqualTo(24);
        assertThat(response.tokenUsage().totalTokenCount())
                .isEqualTo(response.tokenUsage().inputTokenCount() + 24);
    }

    @Test
    void streamedPiecesAddUpToTheWholeAnswer() throws Exception {
        String whole = chat().build().chat(STORY);
        assertThat(whole).isNotBlank();
        MistralAiStreamingChatModel streaming = MistralAiStreamingChatModel.builder().baseUrl(baseUrl)
                .apiKey(server.apiKey).modelName("stories260K").temperature(0.0).randomSeed(7).maxTokens(24)
                .timeout(Duration.ofSeconds(30)).build();
        StringBuilder pieces = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat(STORY, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String piece) {
                pieces.append(piece);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse response = done.get(30, TimeUnit.SECONDS);
        assertThat(pieces.toString()).isEqualTo(whole);
        assertThat(response.aiMessage().text()).isEqualTo(whole);
        assertThat(response.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(response.tokenUsage().outputTokenCount()).isEqualTo(24);
    }

    @Test
    void embeddings() {
        MistralAiEmbeddingModel model = MistralAiEmbeddingModel.builder().baseUrl(baseUrl).apiKey(server.apiKey)
                .modelName("stories260K").maxRetries(0).build();
        List<Embedding> vectors = model.embedAll(List.of(TextSegment.from("a cat"), TextSegment.from("a dog")))
                .content();
        assertThat(vectors).hasSize(2).allSatisfy(vector -> {
            assertThat(vector.dimension()).isEqualTo(64);
            double norm = 0;
            for (float x : vector.vector()) {
                norm += x * x;
            }
            assertThat(Math.sqrt(norm)).isCloseTo(1.0, Offset.offset(1e-4));
        });
        assertThat(vectors.get(0).vector()).isNotEqualTo(vectors.get(1).vector());
    }

    @Test
    void modelsList() {
        List<MistralAiModelCard> cards = MistralAiModels.builder().baseUrl(baseUrl).apiKey(server.apiKey).maxRetries(0)
                .build().availableModels().content();
        assertThat(cards).extracting(MistralAiModelCard::getId).containsExactly("stories260K");
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }

    private static final ToolSpecification WEATHER = ToolSpecification.builder().name("weather")
            .description("today's weather")
            .parameters(JsonObjectSchema.builder().addStringProperty("city").required("city").build()).build();

    @Test
    void jsonModeAnswersParse() {
        for (int seed = 1; seed <= 3; seed++) {
            ChatResponse response = chat().temperature(1.0).randomSeed(seed).maxTokens(60)
                    .responseFormat(ResponseFormat.JSON).build()
                    .chat(ChatRequest.builder().messages(UserMessage.from(STORY)).build());
            assertThat(parse(response.aiMessage().text()).isObject()).isTrue();
            assertThat(response.finishReason()).isEqualTo(FinishReason.STOP);
        }
    }

    @Test
    void jsonSchemaAnswersValidate() {
        ResponseFormat format = ResponseFormat.builder().type(ResponseFormatType.JSON).jsonSchema(JsonSchema.builder()
                .name("hero").rootElement(JsonObjectSchema.builder().addStringProperty("name")
                        .addIntegerProperty("age").required("name", "age").build()).build()).build();
        String answer = chat().temperature(1.0).randomSeed(5).maxTokens(60).build()
                .chat(ChatRequest.builder().messages(UserMessage.from(STORY)).responseFormat(format).build())
                .aiMessage().text();
        JsonNode hero = parse(answer);
        assertThat(hero.get("name").isTextual()).as(answer).isTrue();
        assertThat(hero.get("age").isIntegralNumber()).as(answer).isTrue();
    }

    @Test
    void aRequiredToolCallReachesTheClient() {
        ChatResponse response = chat().temperature(1.0).randomSeed(2).maxTokens(60).build()
                .chat(ChatRequest.builder().messages(UserMessage.from(STORY)).toolSpecifications(WEATHER)
                        .toolChoice(ToolChoice.REQUIRED).build());
        assertThat(response.finishReason()).isEqualTo(FinishReason.TOOL_EXECUTION);
        ToolExecutionRequest call = response.aiMessage().toolExecutionRequests().getFirst();
        assertThat(call.id()).matches("[a-zA-Z0-9]{9}");
        assertThat(call.name()).isEqualTo("weather");
        assertThat(parse(call.arguments()).get("city").isTextual()).isTrue();
    }

    @Test
    void aStreamedToolCallReachesTheClient() throws Exception {
        MistralAiStreamingChatModel streaming = MistralAiStreamingChatModel.builder().baseUrl(baseUrl)
                .apiKey(server.apiKey).modelName("stories260K").temperature(1.0).randomSeed(3).maxTokens(60)
                .timeout(Duration.ofSeconds(30)).build();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat(ChatRequest.builder().messages(UserMessage.from(STORY)).toolSpecifications(WEATHER)
                .toolChoice(ToolChoice.REQUIRED).build(), new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String piece) {
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse response = done.get(30, TimeUnit.SECONDS);
        assertThat(response.finishReason()).isEqualTo(FinishReason.TOOL_EXECUTION);
        ToolExecutionRequest call = response.aiMessage().toolExecutionRequests().getFirst();
        assertThat(call.name()).isEqualTo("weather");
        assertThat(parse(call.arguments()).get("city").isTextual()).isTrue();
    }

    @Test
    void aSchemaAndARequiredCallTogetherAreItsInvalidRequestException() {
        ResponseFormat format = ResponseFormat.builder().type(ResponseFormatType.JSON).jsonSchema(JsonSchema.builder()
                .name("code").rootElement(JsonObjectSchema.builder().addProperty("code",
                        JsonStringSchema.builder().build())
                        .build()).build()).build();
        // Each alone is accepted; together both would shape the answer.
        assertThat(chat().build().chat(ChatRequest.builder().messages(UserMessage.from(STORY)).responseFormat(format)
                .build()).aiMessage().text()).isNotNull();
        InvalidRequestException refused = catchThrowableOfType(InvalidRequestException.class, () -> chat().build()
                .chat(ChatRequest.builder().messages(UserMessage.from(STORY)).toolSpecifications(WEATHER)
                        .toolChoice(ToolChoice.REQUIRED).build().toBuilder()
                        .responseFormat(ResponseFormat.JSON).build()));
        assertThat(refused.getMessage()).contains("response_format cannot be combined");
    }
}

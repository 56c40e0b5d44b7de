package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.ResponseFormatJsonObject;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * OpenAI's own Java SDK against the server on loopback, with response validation on, so that
 * every field the SDK requires must be there with the type it expects.
 */
class OpenAiJavaClientTest {

    private static TestServer server;
    private static LoopbackOnly loopback;
    private static OpenAIClient client;

    @BeforeAll
    static void start() throws IOException {
        loopback = LoopbackOnly.install();
        server = TestServer.bundled();
        client = OpenAIOkHttpClient.builder()
                .baseUrl("http://127.0.0.1:" + server.server.port() + "/v1")
                .apiKey(server.apiKey)
                .maxRetries(0)
                .timeout(Duration.ofSeconds(30))
                .responseValidation(true)
                .build();
    }

    @AfterAll
    static void stop() {
        client.close();
        server.close();
        loopback.uninstall();
        assertThat(loopback.uris()).isNotEmpty().allSatisfy(uri -> assertThat(uri.getHost()).isEqualTo("127.0.0.1"));
    }

    private static ChatCompletionCreateParams.Builder story() {
        return ChatCompletionCreateParams.builder()
                .model("stories260K")
                .addUserMessage("Tell me a story")
                .temperature(0)
                .seed(7)
                .maxCompletionTokens(24);
    }

    @Test
    void chatCompletion() {
        ChatCompletion completion = client.chat().completions().create(story().build());
        assertThat(completion.id()).startsWith("chatcmpl-");
        assertThat(completion.model()).isEqualTo("stories260K");
        ChatCompletion.Choice choice = completion.choices().getFirst();
        assertThat(choice.message().content()).hasValueSatisfying(text -> assertThat(text).isNotBlank());
        assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.LENGTH);
        assertThat(completion.usage()).hasValueSatisfying(usage -> {
            assertThat(usage.completionTokens()).isEqualTo(24);
            assertThat(usage.totalTokens()).isEqualTo(usage.promptTokens() + 24);
        });
    }

    @Test
    void anAnswerCutOffByTheContextEndsAsOneTheSdkKnows() {
        ChatCompletion completion = client.chat().completions().create(story().maxCompletionTokens(100_000).build());
        assertThat(completion.choices().getFirst().finishReason().known())
                .isEqualTo(ChatCompletion.Choice.FinishReason.Known.LENGTH);
        long context = client.models().retrieve("stories260K")._additionalProperties().get("max_context_length")
                .convert(Long.class);
        // The context is full: its last position's token is answered too, without being read back.
        assertThat(completion.usage().orElseThrow().totalTokens()).isEqualTo(context + 1);
    }

    @Test
    void streamedDeltasAddUpToTheWholeAnswer() {
        String whole = client.chat().completions().create(story().build()).choices().getFirst().message().content()
                .orElseThrow();
        assertThat(whole).isNotBlank();
        StringBuilder streamed = new StringBuilder();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        ChatCompletionCreateParams params = story()
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunk -> {
                chunks.add(chunk);
                chunk.choices().forEach(choice -> choice.delta().content().ifPresent(streamed::append));
            });
        }
        assertThat(streamed.toString()).isEqualTo(whole);
        assertThat(chunks).allSatisfy(chunk -> assertThat(chunk.id()).isEqualTo(chunks.getFirst().id()));
        assertThat(chunks.stream().flatMap(c -> c.choices().stream()).flatMap(c -> c.finishReason().stream()))
                .containsExactly(ChatCompletionChunk.Choice.FinishReason.LENGTH);
        ChatCompletionChunk last = chunks.getLast();
        assertThat(last.choices()).isEmpty();
        assertThat(last.usage()).hasValueSatisfying(usage -> assertThat(usage.completionTokens()).isEqualTo(24));
    }

    @Test
    void embeddings() {
        CreateEmbeddingResponse response = client.embeddings().create(EmbeddingCreateParams.builder()
                .model("stories260K").inputOfArrayOfStrings(List.of("a cat", "a dog")).build());
        assertThat(response.data()).hasSize(2);
        for (int i = 0; i < 2; i++) {
            assertThat(response.data().get(i).index()).isEqualTo(i);
            List<Float> vector = response.data().get(i).embedding();
            assertThat(vector).hasSize(64);
            double norm = Math.sqrt(vector.stream().mapToDouble(x -> x * x).sum());
            assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
        }
        assertThat(response.data().get(0).embedding()).isNotEqualTo(response.data().get(1).embedding());
        assertThat(response.usage().promptTokens()).isPositive();
    }

    @Test
    void modelsList() {
        List<Model> models = client.models().list().data();
        assertThat(models).extracting(Model::id).containsExactly("stories260K");
        assertThat(models.getFirst().ownedBy()).isEqualTo("souverain");
        assertThat(client.models().retrieve("stories260K").id()).isEqualTo("stories260K");
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }

    private static ChatCompletionCreateParams.Builder sampled(int seed) {
        return story().temperature(1.0).seed(seed).maxCompletionTokens(60);
    }

    @Test
    void jsonModeAnswersParse() {
        for (int seed = 1; seed <= 3; seed++) {
            ChatCompletion completion = client.chat().completions()
                    .create(sampled(seed).responseFormat(ResponseFormatJsonObject.builder().build()).build());
            ChatCompletion.Choice choice = completion.choices().getFirst();
            assertThat(parse(choice.message().content().orElseThrow()).isObject()).isTrue();
            assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
        }
    }

    @Test
    void jsonSchemaAnswersValidate() {
        ResponseFormatJsonSchema format = ResponseFormatJsonSchema.builder().jsonSchema(ResponseFormatJsonSchema.JsonSchema
                .builder().name("hero").strict(true).schema(ResponseFormatJsonSchema.JsonSchema.Schema.builder()
                        .putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties", JsonValue.from(Map.of(
                                "name", Map.of("type", "string", "maxLength", 12),
                                "age", Map.of("type", "integer"),
                                "brave", Map.of("type", "boolean"))))
                        .putAdditionalProperty("required", JsonValue.from(List.of("name", "age", "brave")))
                        .putAdditionalProperty("additionalProperties", JsonValue.from(false))
                        .build()).build()).build();
        ChatCompletion completion = client.chat().completions().create(sampled(4).responseFormat(format).build());
        JsonNode hero = parse(completion.choices().getFirst().message().content().orElseThrow());
        assertThat(hero.get("name").isTextual()).isTrue();
        assertThat(hero.get("age").isIntegralNumber()).isTrue();
        assertThat(hero.get("brave").isBoolean()).isTrue();
        assertThat(hero.size()).isEqualTo(3);
    }

    private static final ChatCompletionFunctionTool WEATHER = ChatCompletionFunctionTool.builder()
            .function(FunctionDefinition.builder().name("weather").description("today's weather")
                    .parameters(FunctionParameters.builder()
                            .putAdditionalProperty("type", JsonValue.from("object"))
                            .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string"))))
                            .putAdditionalProperty("required", JsonValue.from(List.of("city")))
                            .build())
                    .build())
            .build();

    @Test
    void aRequiredToolCallReachesTheSdk() {
        ChatCompletion completion = client.chat().completions().create(sampled(2).addTool(WEATHER)
                .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED).build());
        ChatCompletion.Choice choice = completion.choices().getFirst();
        assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
        assertThat(choice.message().content()).isEmpty();
        ChatCompletionMessageFunctionToolCall call = choice.message().toolCalls().orElseThrow().getFirst().asFunction();
        assertThat(call.id()).isNotBlank();
        assertThat(call.function().name()).isEqualTo("weather");
        JsonNode arguments = parse(call.function().arguments());
        assertThat(arguments.get("city").isTextual()).isTrue();
        assertThat(arguments.size()).isEqualTo(1);
    }

    @Test
    void aStreamedToolCallAddsUpInTheSdk() {
        ChatCompletionCreateParams params = sampled(3).addTool(WEATHER)
                .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED).build();
        StringBuilder arguments = new StringBuilder();
        List<String> names = new ArrayList<>();
        List<ChatCompletionChunk.Choice.FinishReason> finishes = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().flatMap(chunk -> chunk.choices().stream()).forEach(choice -> {
                choice.delta().toolCalls().ifPresent(calls -> calls.forEach(call -> {
                    call.function().flatMap(f -> f.name()).ifPresent(names::add);
                    call.function().flatMap(f -> f.arguments()).ifPresent(arguments::append);
                }));
                choice.finishReason().ifPresent(finishes::add);
            });
        }
        assertThat(names).containsExactly("weather");
        assertThat(parse(arguments.toString()).get("city").isTextual()).isTrue();
        assertThat(finishes).containsExactly(ChatCompletionChunk.Choice.FinishReason.TOOL_CALLS);
    }

    @Test
    void anUnsupportedSchemaIsTheSdksBadRequest() {
        ResponseFormatJsonSchema format = ResponseFormatJsonSchema.builder().jsonSchema(ResponseFormatJsonSchema.JsonSchema
                .builder().name("code").schema(ResponseFormatJsonSchema.JsonSchema.Schema.builder()
                        .putAdditionalProperty("type", JsonValue.from("string"))
                        .putAdditionalProperty("pattern", JsonValue.from("^[A-Z]+$"))
                        .build()).build()).build();
        BadRequestException refused = catchThrowableOfType(BadRequestException.class,
                () -> client.chat().completions().create(story().responseFormat(format).build()));
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.param()).hasValue("response_format.json_schema.schema");
        assertThat(refused.getMessage()).contains("'pattern'");
    }
}

package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.mistralai.MistralAiEmbeddingModel;
import eu.souverain.server.backends.SentenceEmbeddingModel;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bundled sentence-embedding model (all-MiniLM-L6-v2 on ONNX Runtime) on a real loopback
 * server, as {@code serve} runs it by default: the model of embeddings that name none, listed as
 * one that only embeds, with vectors that place paraphrases closer than unrelated sentences, in
 * English and in French.
 */
class SentenceEmbeddingsTest {

    private static final String MODEL = SentenceEmbeddingModel.BUNDLED;
    /** Paraphrase pairs: each sentence's pair is closer to it than every other pair's sentences. */
    private static final String[][] ENGLISH = {
            {"How can I reset my password?", "I forgot my password, how do I change it?"},
            {"The invoice must be paid before the end of the month.", "Payment of the invoice is due by the end of the month."},
            {"The train to Lyon was cancelled because of the strike.", "The strike caused the train to Lyon to be cancelled."},
            {"How long do we keep customer data?", "What is the retention period for customer information?"},
            {"The insurance contract covers water damage.", "Damage caused by water is covered by the insurance policy."},
    };
    private static final String[][] FRENCH = {
            {"Comment puis-je réinitialiser mon mot de passe ?", "J'ai oublié mon mot de passe, comment le changer ?"},
            {"La facture doit être payée avant la fin du mois.", "Le paiement de la facture est dû d'ici la fin du mois."},
            {"Le train pour Lyon a été annulé à cause de la grève.", "La grève a provoqué la suppression du train vers Lyon."},
            {"Quelle est la durée de conservation des données clients ?", "Combien de temps gardons-nous les informations des clients ?"},
            {"Le contrat d'assurance couvre les dégâts des eaux.", "Les dommages causés par l'eau sont pris en charge par la police d'assurance."},
    };

    private static TestServer server;

    @BeforeAll
    static void start() throws IOException {
        server = TestServer.withSentenceEmbeddings();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static TestServer.Reply embed(ObjectNode body) {
        return server.post("/v1/embeddings", body.toString());
    }

    private static ObjectNode request(String... inputs) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        var array = body.putArray("input");
        for (String input : inputs) {
            array.add(input);
        }
        return body;
    }

    @Test
    void isTheDefaultModelOfEmbeddingsAndAnswersInTheShapeOfBothApis() {
        TestServer.Reply reply = embed(request("a cat", "a dog"));
        assertThat(reply.status()).as(reply.raw().body()).isEqualTo(200);
        JsonNode body = reply.body();
        assertThat(body.get("id").asText()).startsWith("embd-");
        assertThat(body.get("object").asText()).isEqualTo("list");
        assertThat(body.get("model").asText()).isEqualTo(MODEL);
        for (int i = 0; i < 2; i++) {
            JsonNode entry = body.get("data").get(i);
            assertThat(entry.get("object").asText()).isEqualTo("embedding");
            assertThat(entry.get("index").asInt()).isEqualTo(i);
            assertThat(entry.get("embedding")).hasSize(384);
            assertThat(norm(vector(entry))).isCloseTo(1.0, Offset.offset(1e-4));
        }
        // [CLS] a cat [SEP] and [CLS] a dog [SEP]: the model's own WordPiece tokens.
        assertThat(body.at("/usage/prompt_tokens").asInt()).isEqualTo(8);
        assertThat(body.at("/usage/total_tokens").asInt()).isEqualTo(8);
        // Named explicitly, it is the same model.
        ObjectNode named = request("a cat");
        named.put("model", MODEL);
        assertThat(vector(embed(named).body().get("data").get(0))).containsExactly(vector(body.get("data").get(0)));
    }

    @Test
    void englishParaphrasesAreCloserThanUnrelatedSentences() {
        assertParaphrasesClosest(ENGLISH);
    }

    @Test
    void frenchParaphrasesAreCloserThanUnrelatedSentences() {
        assertParaphrasesClosest(FRENCH);
    }

    private static void assertParaphrasesClosest(String[][] pairs) {
        List<String> texts = new ArrayList<>();
        for (String[] pair : pairs) {
            texts.add(pair[0]);
            texts.add(pair[1]);
        }
        TestServer.Reply reply = embed(request(texts.toArray(String[]::new)));
        assertThat(reply.status()).as(reply.raw().body()).isEqualTo(200);
        List<float[]> vectors = new ArrayList<>();
        reply.body().get("data").forEach(entry -> vectors.add(vector(entry)));
        for (int p = 0; p < pairs.length; p++) {
            double paraphrase = dot(vectors.get(2 * p), vectors.get(2 * p + 1));
            for (int q = 0; q < pairs.length; q++) {
                if (q == p) {
                    continue;
                }
                for (int side = 0; side < 2; side++) {
                    assertThat(paraphrase).as("'%s' / '%s' against '%s'", pairs[p][0], pairs[p][1], pairs[q][side])
                            .isGreaterThan(dot(vectors.get(2 * p), vectors.get(2 * q + side)))
                            .isGreaterThan(dot(vectors.get(2 * p + 1), vectors.get(2 * q + side)));
                }
            }
        }
    }

    @Test
    void eachInputOfARequestGetsTheVectorItGetsAlone() {
        // Inputs of different lengths, which a batch would pad and quantize together.
        String[] inputs = new String[40];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = "Sentence number " + i + " about banking" + " and insurance".repeat(i % 7) + ".";
        }
        JsonNode together = embed(request(inputs)).body().get("data");
        assertThat(together).hasSize(40);
        for (int i : new int[] {0, 13, 39}) {
            float[] alone = vector(embed(request(inputs[i])).body().get("data").get(0));
            assertThat(together.get(i).get("index").asInt()).isEqualTo(i);
            assertThat(vector(together.get(i))).containsExactly(alone);
        }
    }

    @Test
    void isListedAsAModelThatOnlyEmbedsAndRefusesToChat() {
        JsonNode card = server.get("/v1/models/" + MODEL).body();
        assertThat(card.at("/capabilities/completion_chat").asBoolean()).isFalse();
        assertThat(card.at("/capabilities/embeddings").asBoolean()).isTrue();
        assertThat(card.get("max_context_length").asInt()).isEqualTo(512);
        assertThat(card.get("backend").asText()).isEqualTo("local");
        assertThat(card.at("/location/remote").asBoolean()).isFalse();
        JsonNode stories = server.get("/v1/models/stories260K").body();
        assertThat(stories.at("/capabilities/completion_chat").asBoolean()).isTrue();

        TestServer.Reply chat = server.post("{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"Hi\"}],\"max_tokens\":4}");
        assertThat(chat.status()).as(chat.raw().body()).isEqualTo(400);
        assertThat(chat.body().get("param").asText()).isEqualTo("model");
        assertThat(chat.body().at("/error/message").asText()).contains("'" + MODEL + "' is a sentence-embedding model")
                .contains("/v1/embeddings").contains("'stories260K'");
        // A chat that names no model still goes to the chat model.
        assertThat(server.post("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":4}").status())
                .isEqualTo(200);
    }

    @Test
    void anInputPastTheModelsPositionsIsRefusedNamingItsLength() {
        TestServer.Reply reply = embed(request("short", "word ".repeat(600)));
        assertThat(reply.status()).as(reply.raw().body()).isEqualTo(400);
        assertThat(reply.body().get("param").asText()).isEqualTo("input");
        assertThat(reply.body().at("/error/message").asText()).contains("input 1 has 602 tokens")
                .contains("at most 512 tokens per input");
    }

    @Test
    void itsCallsAreMeteredAsTheLocalBackendsOwn() {
        long before = usage();
        embed(request("one", "two three"));
        assertThat(usage()).isEqualTo(before + 1);
    }

    private static long usage() {
        JsonNode rows = server.get("/v1/usage?period=month&group_by=model").body().get("data");
        for (JsonNode row : rows) {
            if (row.get("group").asText().equals(MODEL)) {
                return row.get("requests").asLong();
            }
        }
        return 0;
    }

    @Test
    void theOfficialJavaClientsEmbedWithIt() {
        String baseUrl = "http://127.0.0.1:" + server.server.port() + "/v1";
        OpenAIClient openai = OpenAIOkHttpClient.builder().baseUrl(baseUrl).apiKey(server.apiKey).maxRetries(0)
                .timeout(Duration.ofSeconds(30)).responseValidation(true).build();
        try {
            CreateEmbeddingResponse response = openai.embeddings().create(EmbeddingCreateParams.builder()
                    .model(MODEL).inputOfArrayOfStrings(List.of("a cat", "a dog")).build());
            assertThat(response.data()).hasSize(2);
            assertThat(response.data().getFirst().embedding()).hasSize(384);
            assertThat(response.usage().promptTokens()).isEqualTo(8);
        } finally {
            openai.close();
        }
        MistralAiEmbeddingModel mistral = MistralAiEmbeddingModel.builder().baseUrl(baseUrl).apiKey(server.apiKey)
                .modelName(MODEL).maxRetries(0).build();
        List<Embedding> vectors = mistral.embedAll(List.of(TextSegment.from("un chat"), TextSegment.from("un chien")))
                .content();
        assertThat(vectors).hasSize(2).allSatisfy(v -> assertThat(v.dimension()).isEqualTo(384));
    }

    private static float[] vector(JsonNode entry) {
        JsonNode values = entry.get("embedding");
        float[] v = new float[values.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) values.get(i).asDouble();
        }
        return v;
    }

    private static double dot(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += (double) a[i] * b[i];
        }
        return sum;
    }

    private static double norm(float[] v) {
        return Math.sqrt(dot(v, v));
    }
}

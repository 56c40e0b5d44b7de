package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.backends.BackendLocation;
import eu.souverain.server.backends.LocalBackend;
import eu.souverain.server.backends.SentenceEmbeddingModel;
import eu.souverain.server.store.TestDatabases;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two organizations on one server, the first attacking it with ordinary keys: a request that
 * fails in the middle of the batch, a flood of the queue, thousands of embedding inputs. The
 * second organization's requests go on as if the first were quiet.
 */
class TenantIsolationTest {

    @TempDir
    static Path models;
    @TempDir
    Path dir;

    private static Path slow;

    @BeforeAll
    static void writeModel() throws IOException {
        slow = TestServer.writeSlowModel(models.resolve("slow.gguf"));
    }

    /** The engine the server runs the test's models on, to watch its queue. */
    private LocalBackend backend;

    private TenancyFixture serving(Path dir, Map<String, Path> files, int queue, int maxSequences)
            throws IOException {
        return serving(dir, files, queue, maxSequences, null);
    }

    /** As {@link #serving(Path, Map, int, int)}, with {@code sentences} (null for none) beside the files' models. */
    private TenancyFixture serving(Path dir, Map<String, Path> files, int queue, int maxSequences,
                                   SentenceEmbeddingModel sentences) throws IOException {
        TenancyFixture f = new TenancyFixture(TestDatabases.SQLITE, dir);
        backend = LocalBackend.load(files, new LocalBackend.Settings(0, 1, queue, maxSequences, 0, null),
                BackendLocation.thisHost(null, null, null, List.of()), sentences);
        f.server.serve(TestServices.of(f.server, f.tenancy, f.database, dir, f.clock, backend));
        return f;
    }

    private static String stream(int maxTokens) {
        return "{\"model\":\"slow\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"temperature\":0,\"max_tokens\":"
                + maxTokens + ",\"stream\":true}";
    }

    /** The stream's text, read to its end; fails if it ends with an error rather than a finish. */
    private static String readToEnd(TestServer.EventReader events) {
        StringBuilder text = new StringBuilder();
        String finish = null;
        for (String event; (event = events.next()) != null && !event.equals("[DONE]"); ) {
            JsonNode chunk = TestServer.parse(event);
            assertThat(chunk.has("error")).as(event).isFalse();
            JsonNode choice = chunk.get("choices").get(0);
            if (choice.get("delta").hasNonNull("content")) {
                text.append(choice.get("delta").get("content").asText());
            }
            if (choice.hasNonNull("finish_reason")) {
                finish = choice.get("finish_reason").asText();
            }
        }
        assertThat(finish).isEqualTo("length");
        return text.toString();
    }

    private static void readFirstContent(TestServer.EventReader events) {
        for (String event; (event = events.next()) != null; ) {
            JsonNode choices = event.equals("[DONE]") ? null : TestServer.parse(event).get("choices");
            if (choices != null && choices.get(0).get("delta").hasNonNull("content")) {
                return;
            }
        }
        throw new AssertionError("the stream ended without content");
    }

    /**
     * A schema that reads its answer 17 x 17 x 17 ways once the model is forced to open the
     * innermost string: the constraint gives up on it in the middle of the batch.
     */
    private static final String EXPLODING = "{\"model\":\"slow\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
            + "\"max_tokens\":40,\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"strict\":true,"
            + "\"schema\":{\"$defs\":{\"s\":{\"type\":\"string\"},"
            + "\"B\":{\"type\":\"object\",\"properties\":{\"b\":{\"anyOf\":" + refs("s") + "}},\"required\":[\"b\"]},"
            + "\"A\":{\"type\":\"object\",\"properties\":{\"a\":{\"anyOf\":" + refs("B") + "}},\"required\":[\"a\"]}},"
            + "\"anyOf\":" + refs("A") + "}}}}";

    private static String refs(String name) {
        return "[" + String.join(",", Collections.nCopies(17, "{\"$ref\":\"#/$defs/" + name + "\"}")) + "]";
    }

    @Test
    void aRequestFailingInTheBatchEndsAloneWhileAnotherOrganizationsStreamGoesOn() throws IOException {
        try (TenancyFixture f = serving(dir, Map.of("slow", slow), 16, 4)) {
            String alone = readToEnd(f.b.openStream(stream(120)));
            try (TestServer.EventReader running = f.b.openStream(stream(120))) {
                StringBuilder seen = new StringBuilder();
                JsonNode first = null;
                for (String event; first == null && (event = running.next()) != null; ) {
                    JsonNode delta = TestServer.parse(event).get("choices").get(0).get("delta");
                    if (delta.hasNonNull("content")) {
                        first = delta;
                        seen.append(delta.get("content").asText());
                    }
                }
                for (int attack = 0; attack < 3; attack++) {
                    TestServer.Reply exploded = f.a.post(EXPLODING);
                    assertThat(exploded.status()).as(exploded.raw().body()).isEqualTo(500);
                }
                seen.append(readToEnd(running));
                assertThat(seen.toString()).isEqualTo(alone);
            }
        }
    }

    @Test
    void oneOrganizationFloodingTheQueueGets429WhileAnotherStillGetsIn() throws IOException {
        try (TenancyFixture f = serving(dir, Map.of("slow", slow), 2, 1)) {
            List<TestServer.EventReader> flood = new ArrayList<>();
            try {
                flood.add(f.a.openStream(stream(200)));
                readFirstContent(flood.getFirst());
                flood.add(f.a.openStream(stream(200)));
                flood.add(f.a.openStream(stream(200)));
                for (TestServer.EventReader accepted : flood) {
                    assertThat(accepted.response.statusCode()).isEqualTo(200);
                }
                TestServer.Reply more = f.a.post(stream(200));
                assertThat(more.status()).isEqualTo(429);
                assertThat(more.body().get("error").get("code").asText()).isEqualTo("queue_full");

                // The queue is full of the first organization's requests; the second's still gets in, and
                // its answer comes before the flood's queued ones, which wait for their share of the place.
                try (TestServer.EventReader other = f.b.openStream(stream(5))) {
                    assertThat(other.response.statusCode()).isEqualTo(200);
                    TestServer.Reply again = f.a.post(stream(200));
                    assertThat(again.status()).isEqualTo(429);
                    assertThat(again.body().get("error").get("message").asText()).contains("your share");
                    assertThat(readToEnd(other)).isNotEmpty();
                }
            } finally {
                flood.forEach(TestServer.EventReader::close);
            }
        }
    }

    @Test
    void anotherOrganizationsEmbeddingIsAnsweredWhileThousandsOfInputsOfTheFirstWait() throws Exception {
        try (TenancyFixture f = serving(dir, Map.of("stories260K", TestServer.BUNDLED_MODEL), 16, 4)) {
            embedBesideAFlood(f, "stories260K");
        }
    }

    @Test
    void theSentenceEmbeddingModelTooAnswersAnotherOrganizationWhileThousandsOfInputsWait() throws Exception {
        try (TenancyFixture f = serving(dir, Map.of("stories260K", TestServer.BUNDLED_MODEL), 16, 4,
                SentenceEmbeddingModel.loadBundled(1, 16, null))) {
            embedBesideAFlood(f, SentenceEmbeddingModel.BUNDLED);
        }
    }

    /** Organization b embeds one input with the default model while a's 2,000 inputs wait for {@code model}. */
    private void embedBesideAFlood(TenancyFixture f, String model) throws Exception {
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            inputs.add("\"Once upon a time, there was a little girl named Lily number " + i + ".\"");
        }
        HttpRequest flood = HttpRequest.newBuilder(f.a.uri("/v1/embeddings"))
                .header("Authorization", "Bearer " + f.a.apiKey).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"input\":[" + String.join(",", inputs) + "]}")).build();
        CompletableFuture<HttpResponse<String>> flooding = f.a.client.sendAsync(flood,
                HttpResponse.BodyHandlers.ofString());
        while (backend.load(model).waiting() == 0 && !flooding.isDone()) {
            Thread.onSpinWait();
        }
        TestServer.Reply one = f.b.post("/v1/embeddings", "{\"input\":\"Once\"}");
        assertThat(one.status()).as(one.raw().body()).isEqualTo(200);
        assertThat(one.body().get("model").asText()).isEqualTo(model);
        // Answered after one input of the flood, not after its two thousand.
        assertThat(flooding).isNotDone();
        assertThat(flooding.get().statusCode()).isEqualTo(200);
        assertThat(TestServer.JSON.readTree(flooding.get().body()).get("data")).hasSize(2000);
    }
}

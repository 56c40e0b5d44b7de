package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.backends.LocalBackend;
import eu.souverain.server.backends.ModelLoad;
import eu.souverain.server.store.TestDatabases;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stored chat whose answer is cut off (the client disconnects mid-stream, or the server is
 * killed: the question is kept, its answer never) goes on: the next message is answered with the
 * unanswered one, and the conversation marks where the answer was interrupted.
 */
class InterruptedChatTest {

    @TempDir
    static Path models;
    @TempDir
    Path dir;

    private static Path slow;

    @BeforeAll
    static void writeModel() throws IOException {
        slow = TestServer.writeSlowModel(models.resolve("slow.gguf"));
    }

    /** The engine the server runs the slow model on, to watch its queue. */
    private LocalBackend backend;

    private TenancyFixture serving() throws IOException {
        TenancyFixture f = new TenancyFixture(TestDatabases.SQLITE, dir);
        backend = LocalBackend.load(Map.of("slow", slow), new LocalBackend.Settings(0, 1, 16, 4, 0, null));
        f.server.serve(TestServices.of(f.server, f.tenancy, f.database, dir, f.clock, backend));
        return f;
    }

    private static final String STORED_STREAM = "{\"model\":\"slow\",\"store\":true,\"stream\":true,\"temperature\":0,"
            + "\"max_tokens\":900,\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story\"}]}";

    @Test
    void aStoredChatCutByTheClientGoesOnAndSaysItsAnswerWasInterrupted() throws Exception {
        try (TenancyFixture f = serving()) {
            String id;
            try (TestServer.EventReader events = f.a.openStream(STORED_STREAM)) {
                id = events.response.headers().firstValue(ConversationsRoutes.CONVERSATION_HEADER).orElseThrow();
                for (String event; (event = events.next()) != null; ) {
                    if (TestServer.parse(event).get("choices").get(0).get("delta").hasNonNull("content")) {
                        break;
                    }
                }
            }
            // The connection is gone: the server stops the generation at its next write.
            ModelLoad load;
            do {
                Thread.sleep(20);
                load = backend.load("slow");
            } while (load.running() + load.waiting() > 0);
            JsonNode cut = f.a.get("/v1/conversations/" + id).body().get("messages");
            assertThat(cut).hasSize(1);
            assertThat(cut.get(0).get("role").asText()).isEqualTo("user");

            TestServer.Reply next = f.a.post("/v1/conversations/" + id + "/completions",
                    "{\"content\":\"And then?\",\"max_tokens\":4,\"temperature\":0}");
            assertThat(next.status()).as(next.raw().body()).isEqualTo(200);
            // Both questions were asked, as one message.
            TestServer.Reply both = f.a.post("{\"model\":\"slow\",\"max_tokens\":4,\"temperature\":0,\"messages\":"
                    + "[{\"role\":\"user\",\"content\":\"Tell me a story\\n\\nAnd then?\"}]}");
            assertThat(next.body().get("usage").get("prompt_tokens").asInt())
                    .isEqualTo(both.body().get("usage").get("prompt_tokens").asInt());
            assertThat(next.body().get("choices").get(0).get("message").get("content").asText())
                    .isEqualTo(both.body().get("choices").get(0).get("message").get("content").asText());

            JsonNode kept = f.a.get("/v1/conversations/" + id).body().get("messages");
            assertThat(kept).hasSize(4);
            assertThat(kept.get(1).get("role").asText()).isEqualTo("assistant");
            assertThat(kept.get(1).get("interrupted").asBoolean()).isTrue();
            assertThat(kept.get(1).get("content").asText()).isEmpty();
            assertThat(kept.get(2).get("content").asText()).isEqualTo("And then?");
            assertThat(kept.get(3).has("interrupted")).isFalse();
            assertThat(kept.get(3).get("model").asText()).isEqualTo("slow");

            // Continued again, the interrupted turn stays out of the prompt and the roles alternate.
            TestServer.Reply again = f.a.post("/v1/conversations/" + id + "/completions",
                    "{\"content\":\"The end?\",\"max_tokens\":2}");
            assertThat(again.status()).as(again.raw().body()).isEqualTo(200);
            assertThat(f.a.get("/v1/conversations/" + id).body().get("messages")).hasSize(6);
        }
    }

    @Test
    void aQuestionLeftWithoutAnswerByAKilledServerIsAnsweredWithTheNextOne() throws IOException {
        try (TenancyFixture f = serving()) {
            // What a kill -9 leaves of a stored chat: the conversation and its question, no answer.
            String id = f.a.post("/v1/conversations", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"},"
                    + "{\"role\":\"assistant\",\"content\":\"Hi!\"},{\"role\":\"user\",\"content\":\"Tell me a story\"}]}")
                    .body().get("id").asText();
            TestServer.Reply next = f.a.post("/v1/conversations/" + id + "/completions",
                    "{\"content\":\"Please\",\"max_tokens\":3}");
            assertThat(next.status()).as(next.raw().body()).isEqualTo(200);
            JsonNode kept = f.a.get("/v1/conversations/" + id).body().get("messages");
            assertThat(kept).hasSize(6);
            assertThat(kept.get(3).get("interrupted").asBoolean()).isTrue();
        }
    }
}

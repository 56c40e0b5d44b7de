package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.model.SyntheticModel;
import eu.souverain.engine.tensor.GGMLType;
import eu.souverain.server.backends.BackendLocation;
import eu.souverain.server.backends.Backends;
import eu.souverain.server.backends.LocalBackend;
import eu.souverain.server.backends.RemoteBackend;
import eu.souverain.server.sovereignty.Residency;
import eu.souverain.server.sovereignty.ResidencyPolicy;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.store.Database;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.Scope;
import eu.souverain.server.tenancy.Tenancy;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A proxied stream while it runs, from a remote slow enough (a synthetic model, a few
 * milliseconds a token) that the test can act in the middle of it.
 */
class RemoteStreamingTest {

    @TempDir
    static Path dir;

    private static Path model;

    @BeforeAll
    static void writeModel() throws IOException {
        model = dir.resolve("slow.gguf");
        try (GGUFFile stories = GGUFFile.open(TestServer.BUNDLED_MODEL)) {
            SyntheticModel.write(model, new SyntheticModel.Shape(128, 4, 4, 4, 32, 512, 256, 10000f, 0, false, false),
                    GGMLType.F32, SyntheticModel.Init.standard(3), stories.metadata());
        }
    }

    private static boolean isContent(String event) {
        if (event.equals("[DONE]")) {
            return false;
        }
        JsonNode choices = TestServer.parse(event).get("choices");
        return choices != null && !choices.isEmpty() && choices.get(0).get("delta").has("content")
                && !choices.get(0).get("delta").get("content").asText().isEmpty();
    }

    @Test
    void shuttingDownCutsAProxiedStreamOffWithAnErrorEvent() throws Exception {
        try (TestServer remote = new TestServer(Map.of("slow", model), 4, 1 << 20, Duration.ofSeconds(5));
             Database database = Database.sqlite(dir.resolve("shutdown.db"))) {
            database.jdbi().useHandle(h -> h.execute(
                    "INSERT INTO organizations (id, name, created_at) VALUES ('org_a', 'A', 1)"));
            AuditLog audit = new AuditLog(database, Clock.systemUTC());
            Tenancy tenancy = new Tenancy(database, audit, Clock.systemUTC());
            String key = tenancy.keys().create("org_a", "test", EnumSet.of(Scope.CHAT), null, Actor.SYSTEM).secret();
            Residency residency = new Residency(database, audit, Clock.systemUTC());
            residency.setPolicy("org_a", new ResidencyPolicy(true, List.of(), List.of(), List.of()), "setup", null);
            ApiServer server = ApiServer.start(new ApiServer.Settings("127.0.0.1", 0, 1 << 20, Duration.ZERO), tenancy);
            server.serve(TestServices.of(server, tenancy, database, dir, Clock.systemUTC(), Backends.of(
                    LocalBackend.load(Map.of("stories260K", TestServer.BUNDLED_MODEL), 0, 1, 4),
                    List.of(new RemoteBackend(new RemoteBackend.Config("slow-remote", RemoteBackend.Kind.OPENAI_COMPATIBLE,
                            URI.create("http://127.0.0.1:" + remote.server.port() + "/v1"), remote.apiKey,
                            Map.of("remote-slow", "slow"),
                            new BackendLocation("souverain", "B", "DE", null, null, List.of()),
                            Duration.ofSeconds(30)))))));
            TestServer first = new TestServer(server);
            String body = "{\"model\":\"remote-slow\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                    + "\"temperature\":0,\"stream\":true}";
            var request = java.net.http.HttpRequest.newBuilder(first.uri("/v1/chat/completions"))
                    .header("Authorization", "Bearer " + key)
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build();
            try (TestServer.EventReader events = new TestServer.EventReader(
                    first.client.send(request, java.net.http.HttpResponse.BodyHandlers.ofInputStream()))) {
                assertThat(events.response.statusCode()).isEqualTo(200);
                String event;
                while ((event = events.next()) != null && !isContent(event)) {
                    // Up to the first piece of text: the remote is generating now.
                }
                assertThat(event).isNotNull();
                Thread closing = Thread.ofVirtual().start(first::close);
                List<String> rest = new ArrayList<>();
                while ((event = events.next()) != null) {
                    rest.add(event);
                }
                closing.join();
                JsonNode last = TestServer.parse(rest.getLast());
                assertThat(last.get("object").asText()).isEqualTo("error");
                assertThat(last.get("error").get("message").asText())
                        .isEqualTo("the server is shutting down; the generation was cut off");
            }
            // The remote is left as it was: it answers the next request.
            TestServer.Reply after = remote.post("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":2}");
            assertThat(after.status()).isEqualTo(200);
        }
    }
}

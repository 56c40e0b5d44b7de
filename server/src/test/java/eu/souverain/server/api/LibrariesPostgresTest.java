package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.backends.LocalBackend;
import eu.souverain.server.store.TestDatabases;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Libraries on PostgreSQL: the same schema and queries as on SQLite, from upload to search, a
 * document's update and reprocessing, sharing and erasure.
 */
class LibrariesPostgresTest {

    @TempDir
    Path dir;

    @Test
    void aLibraryIsFilledSearchedSharedAndErasedOnPostgresql() throws Exception {
        try (TenancyFixture f = new TenancyFixture(TestDatabases.POSTGRESQL, dir)) {
            f.server.serve(TestServices.of(f.server, f.tenancy, f.database, dir, f.clock,
                    LocalBackend.load(Map.of("stories260K", TestServer.BUNDLED_MODEL), 0, 1, 4)));
            String library = LibrariesTest.create(f.b, "Procédures");
            String id = LibrariesTest.upload(f.b, library, "note.md",
                    "# Coffre\n\nLe coffre-fort s'ouvre avec deux clés.\n".getBytes(StandardCharsets.UTF_8)).body()
                    .get("id").asText();
            assertThat(LibrariesTest.awaitProcessed(f.b, library, id).get("processing_status").asText())
                    .isEqualTo("Completed");
            JsonNode found = f.b.post("/v1/search", "{\"query\":\"clés du coffre\",\"method\":\"lexical\"}").body();
            assertThat(found.get("data").get(0).get("text").asText()).contains("deux clés");
            assertThat(f.b.get("/v1/libraries/" + library + "/documents/" + id).body().get("language").asText())
                    .isEqualTo("fr");
            // Renamed and given attributes (V96's sealed column), then reprocessed, then found by its new name.
            TestServer.Reply patched = f.b.send(HttpRequest.newBuilder(f.b.uri("/v1/libraries/" + library + "/documents/"
                    + id)).header("Content-Type", "application/json").method("PATCH", HttpRequest.BodyPublishers.ofString(
                    "{\"name\":\"coffre-fort.md\",\"attributes\":{\"service\":\"Trésorerie\",\"niveau\":3}}")).build());
            assertThat(patched.status()).as(patched.raw().body()).isEqualTo(200);
            assertThat(f.b.get("/v1/libraries/" + library + "/documents/" + id).body().get("attributes").get("service")
                    .asText()).isEqualTo("Trésorerie");
            TestServer.Reply cleared = f.b.send(HttpRequest.newBuilder(f.b.uri("/v1/libraries/" + library + "/documents/"
                    + id)).header("Content-Type", "application/json").method("PATCH", HttpRequest.BodyPublishers.ofString(
                    "{\"attributes\":null}")).build());
            assertThat(cleared.body().get("attributes").isNull()).isTrue();
            assertThat(f.b.send(HttpRequest.newBuilder(f.b.uri("/v1/libraries/" + library + "/documents/" + id
                    + "/reprocess")).POST(HttpRequest.BodyPublishers.noBody()).build()).status()).isEqualTo(204);
            assertThat(LibrariesTest.awaitProcessed(f.b, library, id).get("processing_status").asText())
                    .isEqualTo("Completed");
            assertThat(f.b.post("/v1/search", "{\"query\":\"coffre-fort\",\"method\":\"lexical\"}").body()
                    .get("data").get(0).get("document_name").asText()).isEqualTo("coffre-fort.md");
            TestServer.Reply shared = f.b.send(HttpRequest.newBuilder(f.b.uri("/v1/libraries/" + library + "/share"))
                    .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(
                            "{\"level\":\"Viewer\",\"share_with_uuid\":\"" + f.orgB.id() + "\",\"share_with_type\":\"Org\"}"))
                    .build());
            assertThat(shared.status()).as(shared.raw().body()).isEqualTo(200);
            assertThat(f.a.get("/v1/libraries/" + library).status()).isEqualTo(404);
            TestServer owner = f.signedIn(TenancyFixture.OWNER_A);
            TestServer.Reply erased = owner.send(HttpRequest.newBuilder(owner.uri("/v1/admin/organizations/"
                    + f.orgB.id() + "/data")).DELETE().build());
            assertThat(erased.body().get("libraries").asInt()).isEqualTo(1);
            assertThat(f.b.get("/v1/libraries").body().get("data")).isEmpty();
        }
    }
}

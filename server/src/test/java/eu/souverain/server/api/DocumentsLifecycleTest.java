package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.backends.Backends;
import eu.souverain.server.backends.LocalBackend;
import eu.souverain.server.catalogue.CatalogueStore;
import eu.souverain.server.documents.Documents;
import eu.souverain.server.limits.Metering;
import eu.souverain.server.privacy.Privacy;
import eu.souverain.server.privacy.Redactions;
import eu.souverain.server.provenance.ProvenanceSigner;
import eu.souverain.server.sovereignty.Residency;
import eu.souverain.server.store.TestDatabases;
import eu.souverain.server.vault.Vault;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Document libraries in the sovereignty report, the exports, an organization's erasure (its index
 * key and files gone) and retention.
 */
class DocumentsLifecycleTest {

    @TempDir
    Path dir;
    private TenancyFixture f;
    private Documents documents;

    @BeforeEach
    void start() throws Exception {
        f = new TenancyFixture(TestDatabases.SQLITE, dir);
        AuditLog audit = new AuditLog(f.database, f.clock);
        Backends backends = Backends.of(LocalBackend.load(Map.of("stories260K", TestServer.BUNDLED_MODEL), 0, 1, 4),
                List.of());
        Vault vault = TestServices.vault(f.database, dir, audit, f.clock);
        Redactions redactions = new Redactions(f.database, audit, f.clock);
        // Two workers and a queue of 4: an organization may have one document waiting or in processing.
        documents = new Documents(f.database, vault, audit, f.clock, dir, new Documents.Settings(
                Documents.Settings.DEFAULT_MAX_FILE_BYTES, Documents.Settings.DEFAULT_MAX_TEXT_CHARS, 2, 4,
                Duration.ofSeconds(60)));
        f.server.serve(new ApiServer.Services(backends, new Residency(f.database, audit, f.clock),
                Privacy.open(f.database, vault, audit, f.clock), redactions,
                TestServices.report(f.server, f.tenancy, f.database, dir, vault, redactions, f.clock, backends),
                new Metering(f.database, audit, f.clock), ProvenanceSigner.open(dir.resolve(ProvenanceSigner.FILE)),
                new CatalogueStore(f.database, audit, vault, f.clock), documents));
    }

    @AfterEach
    void stop() {
        f.close();
    }

    private String libraryWithOneDocument(TestServer as, String text) throws Exception {
        String library = LibrariesTest.create(as, "Procedures");
        String id = LibrariesTest.upload(as, library, "procedure.txt", text.getBytes(StandardCharsets.UTF_8)).body()
                .get("id").asText();
        assertThat(LibrariesTest.awaitProcessed(as, library, id).get("processing_status").asText()).isEqualTo("Completed");
        return library;
    }

    @Test
    void theReportListsEachLibraryWithItsSizeWhereAndHowItIsStored() throws Exception {
        String library = libraryWithOneDocument(f.b, "The vault procedure has seven steps.");
        JsonNode report = f.b.get("/v1/sovereignty/report").body();
        JsonNode entry = null;
        for (JsonNode category : report.get("where").get("data")) {
            if (category.get("category").asText().equals("document libraries")) {
                entry = category;
            }
        }
        assertThat(entry).isNotNull();
        assertThat(entry.get("protection").asText()).contains("AES-256-GCM").contains("AES-256-CTR");
        assertThat(entry.get("location").asText()).contains(dir.resolve("documents").toString());
        JsonNode listed = entry.get("libraries").get(0);
        assertThat(listed.get("id").asText()).isEqualTo(library);
        assertThat(listed.get("organization_id").asText()).isEqualTo(f.orgB.id());
        assertThat(listed.get("documents").asInt()).isEqualTo(1);
        assertThat(listed.get("bytes").asLong()).isEqualTo("The vault procedure has seven steps.".length());
        assertThat(listed.get("chunks").asLong()).isEqualTo(1);
        assertThat(entry.get("index_bytes").get(f.orgB.id()).asLong()).isPositive();
        assertThat(entry.get("libraries")).hasSize(1);
    }

    @Test
    void exportsCarryTheLibrariesWithTheirOriginalsAndTexts() throws Exception {
        String library = libraryWithOneDocument(f.a, "Exported procedure text.");
        String id = f.a.get("/v1/libraries/" + library + "/documents").body().get("data").get(0).get("id").asText();
        assertThat(f.a.send(HttpRequest.newBuilder(f.a.uri("/v1/libraries/" + library + "/documents/" + id))
                .header("Content-Type", "application/json").method("PATCH", HttpRequest.BodyPublishers.ofString(
                        "{\"attributes\": {\"owner\": \"Legal\"}}")).build()).status()).isEqualTo(200);
        JsonNode own = f.a.get("/v1/conversations/export").body();
        JsonNode document = own.get("libraries").get(0).get("documents").get(0);
        assertThat(document.get("text").asText()).isEqualTo("Exported procedure text.");
        assertThat(document.get("attributes").get("owner").asText()).isEqualTo("Legal");
        assertThat(new String(java.util.Base64.getDecoder().decode(document.get("original_base64").asText()),
                StandardCharsets.UTF_8)).isEqualTo("Exported procedure text.");
        JsonNode all = f.signedIn(TenancyFixture.OWNER_A).get("/v1/admin/export").body();
        assertThat(all.get("libraries")).hasSize(1);
    }

    @Test
    void erasingAnOrganizationDeletesItsLibrariesIndexAndIndexKey() throws Exception {
        String library = libraryWithOneDocument(f.b, "A procedure of the organization to erase.");
        Path index = dir.resolve("documents").resolve(f.orgB.id());
        assertThat(index).isDirectory();
        TestServer owner = f.signedIn(TenancyFixture.OWNER_A);
        TestServer.Reply erased = owner.send(HttpRequest.newBuilder(owner.uri("/v1/admin/organizations/" + f.orgB.id()
                + "/data")).DELETE().build());
        assertThat(erased.status()).as(erased.raw().body()).isEqualTo(200);
        assertThat(erased.body().get("libraries").asInt()).isEqualTo(1);
        assertThat(Files.exists(index)).isFalse();
        int keys = f.database.jdbi().withHandle(h -> h.createQuery(
                "SELECT COUNT(*) FROM document_index_keys WHERE organization_id = :org").bind("org", f.orgB.id())
                .mapTo(Integer.class).one());
        assertThat(keys).isZero();
        assertThat(f.b.get("/v1/libraries/" + library).status()).isEqualTo(404);
    }

    @Test
    void oneOrganizationsFloodOfUploadsIsRefusedWhileAnotherOrganizationsUploadGoesIn() throws Exception {
        String a = LibrariesTest.create(f.a, "Flood");
        String b = LibrariesTest.create(f.b, "Quiet");
        byte[] big = ("A long procedure paragraph about many things. ".repeat(40) + "\n\n").repeat(60)
                .getBytes(StandardCharsets.UTF_8);
        TestServer.Reply first = LibrariesTest.upload(f.a, a, "first.txt", big);
        assertThat(first.status()).isEqualTo(200);
        TestServer.Reply second = LibrariesTest.upload(f.a, a, "second.txt", big);
        assertThat(second.status()).isEqualTo(429);
        assertThat(second.body().get("error").get("message").asText()).contains("documents waiting");
        TestServer.Reply other = LibrariesTest.upload(f.b, b, "other.txt", "Quiet text.".getBytes(StandardCharsets.UTF_8));
        assertThat(other.status()).isEqualTo(200);
        assertThat(LibrariesTest.awaitProcessed(f.a, a, first.body().get("id").asText()).get("processing_status")
                .asText()).isEqualTo("Completed");
        assertThat(LibrariesTest.upload(f.a, a, "third.txt", "Now it fits.".getBytes(StandardCharsets.UTF_8)).status())
                .isEqualTo(200);
    }

    @Test
    void documentsOlderThanTheRetentionArePurgedWithTheirChunks() throws Exception {
        String library = libraryWithOneDocument(f.a, "An old procedure about lanterns.");
        assertThat(documents.purge(Map.of(f.orgA.id(), 30), f.clock.millis())).isZero();
        int purged = documents.purge(Map.of(f.orgA.id(), 30), f.clock.millis() + Duration.ofDays(31).toMillis());
        assertThat(purged).isEqualTo(1);
        assertThat(f.a.get("/v1/libraries/" + library + "/documents").body().get("data")).isEmpty();
        TestServer.Reply search = f.a.post("/v1/search", "{\"query\":\"lanterns\",\"method\":\"lexical\"}");
        assertThat(search.body().get("data")).isEmpty();
        assertThat(f.audit()).anyMatch(e -> "retention.purge".equals(e.get("action")));
    }
}

package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.documents.TestCorpus;
import eu.souverain.server.store.TestDatabases;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.Role;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mistral's document routes beyond upload and reading, on a real server and store: a document
 * renamed and given attributes (PUT and PATCH), reprocessed from its original, and downloaded, its
 * original and its text, through signed links that need no API key, refused once changed in any
 * part or past their time; each under the libraries' access rules and audited.
 */
class DocumentRoutesTest {

    private static final String TEXT = "The night porter keeps the archive key in the blue cabinet.";

    @TempDir
    Path dir;
    private TenancyFixture f;
    private String library;
    private String document;
    private final HttpClient anonymous = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        f = new TenancyFixture(TestDatabases.SQLITE, dir);
        f.server.serve(TestServices.of(f.server, f.tenancy, f.database, dir, f.clock,
                eu.souverain.server.backends.LocalBackend.load(Map.of("stories260K", TestServer.BUNDLED_MODEL),
                        new eu.souverain.server.backends.LocalBackend.Settings(0, 1, 16, 4, 0, null))));
        library = LibrariesTest.create(f.a, "Archive");
        document = uploaded(f.a, library, "porter.pdf", TestCorpus.pdfPages(List.of(List.of("Front page."),
                List.of(TEXT)), null));
    }

    @AfterEach
    void stop() {
        f.close();
    }

    private static String uploaded(TestServer as, String library, String name, byte[] bytes) throws Exception {
        TestServer.Reply reply = LibrariesTest.upload(as, library, name, bytes);
        assertThat(reply.status()).as(reply.raw().body()).isEqualTo(200);
        String id = reply.body().get("id").asText();
        assertThat(LibrariesTest.awaitProcessed(as, library, id).get("processing_status").asText()).isEqualTo("Completed");
        return id;
    }

    private String path(String library, String document) {
        return "/v1/libraries/" + library + "/documents/" + document;
    }

    private static TestServer.Reply send(TestServer as, String method, String path, String json) {
        return as.send(HttpRequest.newBuilder(as.uri(path)).header("Content-Type", "application/json")
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json))
                .build());
    }

    private HttpResponse<byte[]> fetch(String url) throws IOException, InterruptedException {
        return anonymous.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static JsonNode error(HttpResponse<byte[]> response) {
        return TestServer.parse(new String(response.body(), StandardCharsets.UTF_8)).get("error");
    }

    @Test
    void aDocumentIsRenamedAndGivenAttributesByPutAndPatchUnderItsLibrarysRules() {
        TestServer.Reply put = send(f.a, "PUT", path(library, document), """
                {"name": "night-porter.pdf", "attributes": {"department": "Facilities", "year": 2026,
                 "reviewed": true, "tags": ["keys", "archive"], "valid_from": "2026-01-01T00:00:00Z"}}""");
        assertThat(put.status()).as(put.raw().body()).isEqualTo(200);
        assertThat(put.body().get("id").asText()).isEqualTo(document);
        assertThat(put.body().get("name").asText()).isEqualTo("night-porter.pdf");
        assertThat(put.body().get("number_of_pages").asInt()).isEqualTo(2);
        assertThat(put.body().get("process_status").asText()).isEqualTo("done");
        JsonNode attributes = put.body().get("attributes");
        assertThat(attributes.get("department").asText()).isEqualTo("Facilities");
        assertThat(attributes.get("year").asInt()).isEqualTo(2026);
        assertThat(attributes.get("reviewed").asBoolean()).isTrue();
        assertThat(attributes.get("tags")).extracting(JsonNode::asText).containsExactly("keys", "archive");
        assertThat(f.a.get(path(library, document)).body().get("attributes")).isEqualTo(attributes);

        // PATCH changes what it names: the name alone leaves the attributes; null clears them.
        TestServer.Reply renamed = send(f.a, "PATCH", path(library, document), "{\"name\": \"porter-2026.pdf\"}");
        assertThat(renamed.body().get("attributes")).isEqualTo(attributes);
        TestServer.Reply cleared = send(f.a, "PATCH", path(library, document), "{\"attributes\": null}");
        assertThat(cleared.body().get("name").asText()).isEqualTo("porter-2026.pdf");
        assertThat(cleared.body().get("attributes").isNull()).isTrue();

        // The name and attributes are sealed like the rest: neither is in the store in clear.
        send(f.a, "PATCH", path(library, document), "{\"attributes\": {\"department\": \"Facilities\"}}");
        byte[] row = f.database.jdbi().withHandle(h -> h.createQuery(
                "SELECT attributes FROM library_documents WHERE id = :id").bind("id", document).mapTo(byte[].class).one());
        assertThat(new String(row, StandardCharsets.ISO_8859_1)).doesNotContain("Facilities", "department");

        // A search shows the document's name now, though its chunks were indexed under the old one.
        TestServer.Reply search = f.a.post("/v1/search", "{\"query\": \"archive key blue cabinet\", \"method\": \"lexical\"}");
        assertThat(search.body().get("data").get(0).get("document_name").asText()).isEqualTo("porter-2026.pdf");

        for (String wrong : List.of("{\"attributes\": {\"nested\": {\"a\": 1}}}", "{\"attributes\": {\"mixed\": [1, \"a\"]}}",
                "{\"attributes\": [1]}", "{\"name\": \"  \"}")) {
            assertThat(send(f.a, "PATCH", path(library, document), wrong).status()).as(wrong).isEqualTo(400);
        }
        TestServer.Reply expiring = send(f.a, "PATCH", path(library, document), "{\"expires_at\": \"2030-01-01T00:00:00Z\"}");
        assertThat(expiring.status()).isEqualTo(400);
        assertThat(TenancyFixture.error(expiring).get("code").asText()).isEqualTo("unsupported_feature");
        assertThat(send(f.a, "PATCH", path(library, document), "{\"title\": \"x\"}").status()).isEqualTo(422);

        // A reader may not change it; another organization does not see it.
        String reader = f.tenancy.users().create(f.orgA.id(), "reader@a.example", Role.MEMBER, TenancyFixture.PASSWORD,
                Actor.SYSTEM, true).user().id();
        send(f.a, "PUT", "/v1/libraries/" + library + "/share", "{\"level\": \"Viewer\", \"share_with_type\": \"User\","
                + " \"share_with_uuid\": \"" + reader + "\"}");
        TestServer asReader = f.signedIn("reader@a.example");
        assertThat(asReader.get(path(library, document)).status()).isEqualTo(200);
        assertThat(send(asReader, "PATCH", path(library, document), "{\"name\": \"mine.pdf\"}").status()).isEqualTo(403);
        assertThat(send(f.b, "PATCH", path(library, document), "{\"name\": \"theirs.pdf\"}").status()).isEqualTo(404);
        assertThat(f.audit("documents.update", "SUCCESS")).extracting(e -> (String) e.get("resource"))
                .contains(document + " (name, attributes)", document + " (name)", document + " (attributes)")
                .allMatch(r -> !r.contains("Facilities") && !r.contains("porter"));
    }

    @Test
    void aSignedLinkDownloadsTheOriginalAndTheTextWithoutAKeyUntilItExpires() throws Exception {
        TestServer.Reply link = f.a.get(path(library, document) + "/signed-url");
        assertThat(link.status()).as(link.raw().body()).isEqualTo(200);
        assertThat(link.body().isTextual()).as("Mistral's signed URL is a JSON string").isTrue();
        String url = link.body().asText();
        assertThat(url).startsWith("http://127.0.0.1:" + f.server.port() + "/documents/download/" + library + "/"
                + document + "/original?");

        HttpResponse<byte[]> got = fetch(url);
        assertThat(got.statusCode()).isEqualTo(200);
        assertThat(new String(got.body(), StandardCharsets.ISO_8859_1)).startsWith("%PDF");
        assertThat(got.headers().firstValue("Content-Type")).hasValue("application/pdf");
        assertThat(got.headers().firstValue("Content-Disposition").orElseThrow()).startsWith("attachment;")
                .contains("porter.pdf");
        assertThat(got.headers().firstValue("Content-Security-Policy").orElseThrow()).contains("sandbox");
        assertThat(got.headers().firstValue("Cache-Control")).hasValue("no-store");

        String textUrl = f.a.get(path(library, document) + "/extracted-text-signed-url").body().asText();
        HttpResponse<byte[]> text = fetch(textUrl);
        assertThat(text.statusCode()).isEqualTo(200);
        assertThat(new String(text.body(), StandardCharsets.UTF_8)).contains(TEXT);
        assertThat(text.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain");

        // Changed in any part, a link is refused, and so is one signed for another document.
        String other = uploaded(f.a, library, "other.txt", "Another document.".getBytes(StandardCharsets.UTF_8));
        for (String changed : List.of(url.replace("/" + document + "/", "/" + other + "/"),
                url.replace("/original?", "/text?"), url.replace("org=" + f.orgA.id(), "org=" + f.orgB.id()),
                url.replaceFirst("expires=(\\d+)", "expires=9$1"), url.replaceFirst("by=[^&]+", "by=usr_someone"),
                url.substring(0, url.length() - 2) + (url.endsWith("AA") ? "BB" : "AA"),
                url.replaceFirst("&signature=[^&]+", ""))) {
            HttpResponse<byte[]> refused = fetch(changed);
            assertThat(refused.statusCode()).as(changed).isEqualTo(403);
            assertThat(error(refused).get("code").asText()).as(changed).isEqualTo("invalid_signature");
        }
        assertThat(f.audit("documents.download", "SUCCESS")).hasSize(2)
                .allMatch(e -> e.get("actor").equals(f.audit("documents.link", "SUCCESS").getFirst().get("actor")));

        // Past its time, it is refused, saying so, and the attempt is audited.
        f.clock.advance(Duration.ofMinutes(16));
        HttpResponse<byte[]> expired = fetch(url);
        assertThat(expired.statusCode()).isEqualTo(403);
        assertThat(error(expired).get("code").asText()).isEqualTo("link_expired");
        assertThat(f.audit("documents.download", "DENIED")).hasSize(1);

        // A fresh link to a document deleted since, or whose maker can no longer read it, finds nothing.
        String fresh = f.a.get(path(library, other) + "/signed-url").body().asText();
        assertThat(send(f.a, "DELETE", path(library, other), null).status()).isEqualTo(204);
        assertThat(fetch(fresh).statusCode()).isEqualTo(404);
    }

    @Test
    void linksFollowTheLibrarysReadersAndNeverCrossOrganizations() throws Exception {
        String reader = f.tenancy.users().create(f.orgA.id(), "reader@a.example", Role.MEMBER, TenancyFixture.PASSWORD,
                Actor.SYSTEM, true).user().id();
        String share = "{\"share_with_type\": \"User\", \"share_with_uuid\": \"" + reader + "\"";
        send(f.a, "PUT", "/v1/libraries/" + library + "/share", share + ", \"level\": \"Viewer\"}");
        TestServer asReader = f.signedIn("reader@a.example");
        String url = asReader.get(path(library, document) + "/signed-url").body().asText();
        assertThat(fetch(url).statusCode()).isEqualTo(200);
        assertThat(f.audit("documents.download", "SUCCESS").getLast().get("actor")).isEqualTo(reader);

        send(f.a, "DELETE", "/v1/libraries/" + library + "/share", share + "}");
        assertThat(fetch(url).statusCode()).as("the link's maker no longer reads the library").isEqualTo(404);
        assertThat(asReader.get(path(library, document) + "/signed-url").status()).isEqualTo(404);

        assertThat(f.b.get(path(library, document) + "/signed-url").status()).isEqualTo(404);
        assertThat(f.b.get(path(library, document) + "/extracted-text-signed-url").status()).isEqualTo(404);
        assertThat(f.audit("documents.link", "DENIED")).hasSizeGreaterThanOrEqualTo(2);
    }

    @Test
    void aDocumentIsReprocessedFromItsOriginalUnderItsNewNameByItsEditors() throws Exception {
        send(f.a, "PATCH", path(library, document), "{\"name\": \"lighthouse-keeper.pdf\"}");
        TestServer.Reply before = f.a.post("/v1/search", "{\"query\": \"lighthouse\", \"method\": \"lexical\"}");
        assertThat(before.body().get("data")).as("the chunks are indexed under the old name").isEmpty();

        TestServer.Reply reprocessed = send(f.a, "POST", path(library, document) + "/reprocess", null);
        assertThat(reprocessed.status()).as(reprocessed.raw().body()).isEqualTo(204);
        JsonNode status = LibrariesTest.awaitProcessed(f.a, library, document);
        assertThat(status.get("processing_status").asText()).isEqualTo("Completed");
        TestServer.Reply after = f.a.post("/v1/search", "{\"query\": \"lighthouse\", \"method\": \"lexical\"}");
        assertThat(after.body().get("data").get(0).get("document_name").asText()).isEqualTo("lighthouse-keeper.pdf");
        assertThat(f.a.get(path(library, document) + "/text_content").body().get("text").asText()).contains(TEXT);
        assertThat(f.a.get(path(library, document)).body().get("number_of_pages").asInt()).isEqualTo(2);

        String reader = f.tenancy.users().create(f.orgA.id(), "reader@a.example", Role.MEMBER, TenancyFixture.PASSWORD,
                Actor.SYSTEM, true).user().id();
        send(f.a, "PUT", "/v1/libraries/" + library + "/share", "{\"level\": \"Viewer\", \"share_with_type\": \"User\","
                + " \"share_with_uuid\": \"" + reader + "\"}");
        assertThat(send(f.signedIn("reader@a.example"), "POST", path(library, document) + "/reprocess", null).status())
                .isEqualTo(403);
        assertThat(send(f.b, "POST", path(library, document) + "/reprocess", null).status()).isEqualTo(404);
        assertThat(f.audit("documents.reprocess", "SUCCESS")).hasSize(1);
    }
}

package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.documents.TestCorpus;
import eu.souverain.server.store.TestDatabases;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.Role;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Document libraries over HTTP on a real server and store: the corpus of every format uploaded,
 * processed in the background and searched (the right document in the top 3 for each question,
 * lexical and hybrid), a canary sentence found by search and nowhere in clear under the data
 * directory, failures with their reasons, sharing, and other organizations kept out.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LibrariesTest {

    @TempDir
    static Path dir;
    private TenancyFixture f;
    private String corpus;
    private final Map<String, String> documentNames = new HashMap<>();

    @BeforeAll
    void uploadTheCorpus() throws Exception {
        f = new TenancyFixture(TestDatabases.SQLITE, dir);
        f.server.serve(TestServices.of(f.server, f.tenancy, f.database, dir, f.clock,
                eu.souverain.server.backends.LocalBackend.load(Map.of("stories260K", TestServer.BUNDLED_MODEL),
                        new eu.souverain.server.backends.LocalBackend.Settings(0, 1, 16, 4, 0, null))));
        corpus = create(f.a, "Corpus");
        List<String> ids = new ArrayList<>();
        for (TestCorpus.File file : TestCorpus.files()) {
            TestServer.Reply uploaded = upload(f.a, corpus, file.name(), file.bytes());
            assertThat(uploaded.status()).as(uploaded.raw().body()).isEqualTo(200);
            ids.add(uploaded.body().get("id").asText());
            documentNames.put(uploaded.body().get("id").asText(), file.name());
        }
        for (String id : ids) {
            JsonNode status = awaitProcessed(f.a, corpus, id);
            assertThat(status.get("processing_status").asText()).as(status.toString()).isEqualTo("Completed");
        }
    }

    @AfterAll
    void close() {
        f.close();
    }

    static String create(TestServer server, String name) {
        TestServer.Reply created = server.post("/v1/libraries", "{\"name\":\"" + name + "\"}");
        assertThat(created.status()).as(created.raw().body()).isEqualTo(201);
        return created.body().get("id").asText();
    }

    static TestServer.Reply upload(TestServer server, String library, String name, byte[] bytes) {
        String boundary = "souverain-test-boundary";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(bytes);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return server.send(HttpRequest.newBuilder(server.uri("/v1/libraries/" + library + "/documents"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build());
    }

    static JsonNode awaitProcessed(TestServer server, String library, String document) throws InterruptedException {
        return awaitProcessed(server, library, document, 120);
    }

    static JsonNode awaitProcessed(TestServer server, String library, String document, int seconds)
            throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (true) {
            TestServer.Reply status = server.get("/v1/libraries/" + library + "/documents/" + document + "/status");
            assertThat(status.status()).as(status.raw().body()).isEqualTo(200);
            if (!status.body().get("processing_status").asText().equals("Running") || System.nanoTime() > deadline) {
                return status.body();
            }
            Thread.sleep(100);
        }
    }

    private List<JsonNode> search(TestServer server, String query, String method, String library) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("query", query);
        body.put("library_ids", List.of(library));
        body.put("limit", 3);
        body.put("method", method);
        TestServer.Reply reply = server.post("/v1/search", new String(Json.bytes(body), StandardCharsets.UTF_8));
        assertThat(reply.status()).as(reply.raw().body()).isEqualTo(200);
        List<JsonNode> results = new ArrayList<>();
        reply.body().get("data").forEach(results::add);
        return results;
    }

    @Test
    void eachQuestionFindsItsDocumentInTheTopThreeLexicallyAndHybrid() {
        assertThat(TestCorpus.questions()).hasSizeGreaterThanOrEqualTo(20);
        for (String method : List.of("lexical", "hybrid")) {
            List<String> missed = new ArrayList<>();
            for (TestCorpus.Question question : TestCorpus.questions()) {
                List<String> found = search(f.a, question.text(), method, corpus).stream()
                        .map(r -> documentNames.get(r.get("document_id").asText())).toList();
                if (!found.contains(question.file())) {
                    missed.add(question.text() + " -> " + found);
                }
            }
            assertThat(missed).as(method + " misses").isEmpty();
        }
    }

    @Test
    void aResultCarriesItsPositionAndTheTextBetweenItsOffsets() {
        JsonNode first = search(f.a, "emergency assembly point Rotterdam", "lexical", corpus).getFirst();
        assertThat(first.get("document_name").asText()).isEqualTo("safety-manual.pdf");
        assertThat(first.get("page").asInt()).isEqualTo(2);
        assertThat(first.get("text").asText()).contains("north parking lot near gate 7");
        String document = first.get("document_id").asText();
        String text = f.a.get("/v1/libraries/" + corpus + "/documents/" + document + "/text_content").body()
                .get("text").asText();
        assertThat(text.substring(first.get("start").asInt(), first.get("end").asInt()).strip())
                .isEqualTo(first.get("text").asText());
    }

    @Test
    void aCanarySentenceIsFoundBySearchAndNowhereInClearUnderTheDataDirectory() throws Exception {
        String canary = "The violet heron Zq7Kv counted forty lanterns above the quiet harbour.";
        String library = create(f.a, "Canary");
        long uploadedAt = System.currentTimeMillis() - 1000;
        TestServer.Reply uploaded = upload(f.a, library, "canary.pdf", TestCorpus.pdfPages(
                List.of(List.of("An ordinary first page."), List.of(canary)), null));
        String id = uploaded.body().get("id").asText();
        assertThat(awaitProcessed(f.a, library, id).get("processing_status").asText()).isEqualTo("Completed");
        List<JsonNode> found = search(f.a, "violet heron Zq7Kv lanterns", "lexical", library);
        assertThat(found).isNotEmpty();
        assertThat(found.getFirst().get("text").asText()).contains(canary);

        List<String> needles = List.of(canary, "Zq7Kv", "zq7kv", "violet heron", "harbour", "lanterns",
                "ordinary first page");
        List<String> seen = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = new ArrayList<>(walk.filter(Files::isRegularFile).toList());
        }
        assertThat(files).as("the store and the index files").anyMatch(p -> p.toString().contains("documents"));
        // And every temporary file written since the upload (a multipart part spilled to disk would be one).
        try (Stream<Path> walk = Files.walk(Path.of(System.getProperty("java.io.tmpdir")), 3)) {
            walk.filter(p -> !p.startsWith(dir)).filter(p -> {
                try {
                    return Files.isRegularFile(p) && Files.isReadable(p) && Files.size(p) < (64 << 20)
                            && Files.getLastModifiedTime(p).toMillis() >= uploadedAt;
                } catch (IOException | SecurityException e) {
                    return false;
                }
            }).forEach(files::add);
        } catch (java.io.UncheckedIOException e) {
            // A directory of another process that vanished while walked: what was read is scanned.
        }
        for (Path file : files) {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(file);
            } catch (IOException e) {
                if (file.startsWith(dir)) {
                    throw e;
                }
                continue;
            }
            for (String needle : needles) {
                if (contains(bytes, needle.getBytes(StandardCharsets.UTF_8))
                        || contains(bytes, needle.getBytes(StandardCharsets.UTF_16LE))) {
                    seen.add(file + ": " + needle);
                }
            }
        }
        assertThat(seen).as("plaintext of the canary document under " + dir).isEmpty();
    }

    static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Test
    void aCorruptOrEncryptedFileFailsWithItsReasonAndAnUnsupportedOneIsRefused() throws Exception {
        String library = create(f.a, "Broken");
        byte[] pdf = TestCorpus.pdfPages(List.of(List.of("Some text.")), null);
        String corrupt = upload(f.a, library, "corrupt.pdf", java.util.Arrays.copyOf(pdf, pdf.length / 3)).body()
                .get("id").asText();
        String locked = upload(f.a, library, "locked.pdf", TestCorpus.pdfPages(List.of(List.of("Secret.")), "pw"))
                .body().get("id").asText();
        JsonNode corruptStatus = awaitProcessed(f.a, library, corrupt);
        assertThat(corruptStatus.get("processing_status").asText()).isEqualTo("Failed");
        assertThat(corruptStatus.get("process_status").asText()).isEqualTo("error");
        assertThat(corruptStatus.get("processing_error").asText()).contains("cannot be read");
        assertThat(awaitProcessed(f.a, library, locked).get("processing_error").asText()).contains("encrypted");
        TestServer.Reply exe = upload(f.a, library, "tool.docx", new byte[] {'M', 'Z', (byte) 0x90, 0, 3, 0, 0, 0, 4});
        assertThat(exe.status()).isEqualTo(400);
        assertThat(exe.body().get("error").get("message").asText()).contains("unsupported file type");
        TestServer.Reply text = f.a.get("/v1/libraries/" + library + "/documents/" + corrupt + "/text_content");
        assertThat(text.status()).isEqualTo(409);
    }

    @Test
    void documentsAreListedByPageAndFoundByName() {
        TestServer.Reply page = f.a.get("/v1/libraries/" + corpus + "/documents?page_size=5&page=1&sort_by=name&sort_order=asc");
        assertThat(page.status()).isEqualTo(200);
        JsonNode pagination = page.body().get("pagination");
        assertThat(pagination.get("total_items").asInt()).isEqualTo(TestCorpus.files().size());
        assertThat(pagination.get("total_pages").asInt()).isEqualTo(3);
        assertThat(pagination.get("has_more").asBoolean()).isTrue();
        List<String> names = new ArrayList<>();
        page.body().get("data").forEach(d -> names.add(d.get("name").asText()));
        assertThat(names).hasSize(5).isSorted();
        TestServer.Reply found = f.a.get("/v1/libraries/" + corpus + "/documents?search=MUTUELLE");
        assertThat(found.body().get("data")).hasSize(1);
        assertThat(found.body().get("data").get(0).get("name").asText()).isEqualTo("note-mutuelle.txt");
        JsonNode library = f.a.get("/v1/libraries/" + corpus).body();
        assertThat(library.get("nb_documents").asInt()).isEqualTo(TestCorpus.files().size());
        assertThat(library.get("total_size").asLong()).isPositive();
    }

    @Test
    void anotherOrganizationGets404ForEveryLibraryRouteAndItsSearchSeesNothing() {
        String base = "/v1/libraries/" + corpus;
        String document = f.a.get(base + "/documents").body().get("data").get(0).get("id").asText();
        for (String path : List.of(base, base + "/documents", base + "/documents/" + document,
                base + "/documents/" + document + "/status", base + "/documents/" + document + "/text_content",
                base + "/share")) {
            assertThat(f.b.get(path).status()).as(path).isEqualTo(404);
        }
        assertThat(upload(f.b, corpus, "x.txt", "text".getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(404);
        TestServer.Reply search = f.b.post("/v1/search", "{\"query\":\"forklift\",\"library_ids\":[\"" + corpus + "\"]}");
        assertThat(search.status()).isEqualTo(404);
        TestServer.Reply own = f.b.post("/v1/search", "{\"query\":\"forklift certification\",\"method\":\"lexical\"}");
        assertThat(own.status()).isEqualTo(200);
        assertThat(own.body().get("data")).isEmpty();
        assertThat(f.b.send(HttpRequest.newBuilder(f.b.uri(base)).DELETE().build()).status()).isEqualTo(404);
        assertThat(f.audit()).anyMatch(e -> "documents.search".equals(e.get("action")) && "DENIED".equals(e.get("outcome")));
    }

    @Test
    void aLibraryIsItsCreatorsUntilSharedAndAViewerMayReadButNotUpload() {
        String library = create(f.a, "Shared later");
        String userId = f.tenancy.users().create(f.orgA.id(), "reader@a.example", Role.MEMBER, TenancyFixture.PASSWORD,
                Actor.SYSTEM, true).user().id();
        TestServer reader = f.signedIn("reader@a.example");
        assertThat(reader.get("/v1/libraries/" + library).status()).isEqualTo(404);
        TestServer.Reply shared = f.a.send(HttpRequest.newBuilder(f.a.uri("/v1/libraries/" + library + "/share"))
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(
                        "{\"level\":\"Viewer\",\"share_with_uuid\":\"" + userId + "\",\"share_with_type\":\"User\"}"))
                .build());
        assertThat(shared.status()).as(shared.raw().body()).isEqualTo(200);
        assertThat(shared.body().get("role").asText()).isEqualTo("Viewer");
        assertThat(reader.get("/v1/libraries/" + library).status()).isEqualTo(200);
        assertThat(upload(reader, library, "x.txt", "text".getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(403);
        JsonNode shares = f.a.get("/v1/libraries/" + library + "/share").body().get("data");
        assertThat(shares).hasSize(2);
        TestServer.Reply otherOrg = f.a.send(HttpRequest.newBuilder(f.a.uri("/v1/libraries/" + library + "/share"))
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(
                        "{\"level\":\"Editor\",\"share_with_uuid\":\"" + f.ownerB + "\",\"share_with_type\":\"User\"}"))
                .build());
        assertThat(otherOrg.status()).isEqualTo(400);
        TestServer.Reply unshared = f.a.send(HttpRequest.newBuilder(f.a.uri("/v1/libraries/" + library + "/share"))
                .header("Content-Type", "application/json").method("DELETE", HttpRequest.BodyPublishers.ofString(
                        "{\"share_with_uuid\":\"" + userId + "\",\"share_with_type\":\"User\"}")).build());
        assertThat(unshared.status()).isEqualTo(200);
        assertThat(reader.get("/v1/libraries/" + library).status()).isEqualTo(404);
        TestServer.Reply org = f.a.send(HttpRequest.newBuilder(f.a.uri("/v1/libraries/" + library + "/share"))
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(
                        "{\"level\":\"Editor\",\"share_with_uuid\":\"" + f.orgA.id() + "\",\"share_with_type\":\"Org\"}"))
                .build());
        assertThat(org.status()).isEqualTo(200);
        assertThat(upload(reader, library, "x.txt", "Shared text.".getBytes(StandardCharsets.UTF_8)).status())
                .isEqualTo(200);
        assertThat(f.audit()).anyMatch(e -> "libraries.share".equals(e.get("action")));
    }
    private static TestServer.Reply share(TestServer as, String method, String library, String json) {
        return as.send(HttpRequest.newBuilder(as.uri("/v1/libraries/" + library + "/share"))
                .header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json))
                .build());
    }

    @Test
    void aUserIsNamedByTheirAddressToShareWithAndTheSharesShowAddresses() {
        String library = create(f.a, "Shared by address");
        String userId = f.tenancy.users().create(f.orgA.id(), "editor@a.example", Role.MEMBER, TenancyFixture.PASSWORD,
                Actor.SYSTEM, true).user().id();
        TestServer.Reply shared = share(f.a, "PUT", library,
                "{\"level\":\"Editor\",\"share_with_type\":\"User\",\"share_with_email\":\" Editor@A.example \"}");
        assertThat(shared.status()).as(shared.raw().body()).isEqualTo(200);
        assertThat(shared.body().get("share_with_uuid").asText()).isEqualTo(userId);
        assertThat(shared.body().get("share_with_email").asText()).isEqualTo("editor@a.example");
        assertThat(upload(f.signedIn("editor@a.example"), library, "x.txt", "Added.".getBytes(StandardCharsets.UTF_8))
                .status()).isEqualTo(200);

        JsonNode shares = f.a.get("/v1/libraries/" + library + "/share").body().get("data");
        assertThat(shares).anySatisfy(s -> {
            assertThat(s.get("share_with_type").asText()).isEqualTo("User");
            assertThat(s.get("share_with_uuid").asText()).isEqualTo(userId);
            assertThat(s.get("share_with_email").asText()).isEqualTo("editor@a.example");
            assertThat(s.get("role").asText()).isEqualTo("Editor");
        });

        // No one of the organization has the address, or someone of another has it: refused alike, nothing shared.
        TestServer.Reply nobody = share(f.a, "PUT", library,
                "{\"level\":\"Viewer\",\"share_with_type\":\"User\",\"share_with_email\":\"nobody@a.example\"}");
        TestServer.Reply outsider = share(f.a, "PUT", library,
                "{\"level\":\"Viewer\",\"share_with_type\":\"User\",\"share_with_email\":\"" + TenancyFixture.OWNER_B + "\"}");
        assertThat(nobody.status()).isEqualTo(400);
        assertThat(outsider.status()).isEqualTo(400);
        assertThat(outsider.body().get("error").get("message").asText()).startsWith("no user of your organization");
        assertThat(share(f.a, "PUT", library, "{\"level\":\"Viewer\",\"share_with_type\":\"Org\","
                + "\"share_with_email\":\"editor@a.example\"}").status()).isEqualTo(400);
        assertThat(f.a.get("/v1/libraries/" + library + "/share").body().get("data")).hasSize(2);

        TestServer.Reply unshared = share(f.a, "DELETE", library,
                "{\"share_with_type\":\"User\",\"share_with_email\":\"editor@a.example\"}");
        assertThat(unshared.status()).as(unshared.raw().body()).isEqualTo(200);
        assertThat(f.signedIn("editor@a.example").get("/v1/libraries/" + library).status()).isEqualTo(404);
    }
}

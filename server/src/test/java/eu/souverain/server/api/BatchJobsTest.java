package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.backends.Backends;
import eu.souverain.server.catalogue.CatalogueStore;
import eu.souverain.server.backends.LocalBackend;
import eu.souverain.server.limits.Metering;
import eu.souverain.server.privacy.Privacy;
import eu.souverain.server.privacy.Redactions;
import eu.souverain.server.privacy.Retention;
import eu.souverain.server.provenance.ProvenanceSigner;
import eu.souverain.server.sovereignty.Residency;
import eu.souverain.server.store.TestDatabases;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.ApiKeys;
import eu.souverain.server.tenancy.Scope;
import eu.souverain.server.vault.KeyFileMasterKey;
import eu.souverain.server.vault.Vault;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The Files API and batch jobs over HTTP, in Mistral's shapes and OpenAI's, on a real server and store. */
class BatchJobsTest {

    @TempDir
    Path dir;

    private Privacy privacy;

    /** The tenancy fixture, serving the bundled model, with files and batch jobs. */
    private TenancyFixture serving(TestDatabases kind) throws IOException {
        TenancyFixture f = new TenancyFixture(kind, dir);
        AuditLog audit = f.tenancy.audit();
        Vault vault = new Vault(f.database, KeyFileMasterKey.open(dir.resolve("keys").resolve(KeyFileMasterKey.FILE)),
                audit, f.clock);
        Backends backends = Backends.of(LocalBackend.load(Map.of("stories260K", TestServer.BUNDLED_MODEL),
                new LocalBackend.Settings(0, 1, 16, 4, 0, null)), List.of());
        Redactions redactions = new Redactions(f.database, audit, f.clock);
        privacy = Privacy.open(f.database, vault, audit, f.clock);
        f.server.serve(new ApiServer.Services(backends, new Residency(f.database, audit, f.clock), privacy, redactions,
                TestServices.report(f.server, f.tenancy, f.database, dir, vault, redactions, f.clock, backends),
                new Metering(f.database, audit, f.clock), ProvenanceSigner.open(dir.resolve(ProvenanceSigner.FILE)),
                new CatalogueStore(f.database, audit, vault, f.clock), TestServices.documents(f.database, vault, audit, f.clock, dir)));
        return f;
    }

    /** POSTs {@code content} as the multipart form of an upload. */
    static TestServer.Reply upload(TestServer as, String filename, String purpose, byte[] content) {
        String boundary = "----souverain-test-boundary";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n" + purpose
                + "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename
                + "\"\r\nContent-Type: application/jsonl\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(content);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return as.send(HttpRequest.newBuilder(as.uri("/v1/files"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary).expectContinue(true)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build());
    }

    static String text(TestServer as, String path) {
        try {
            return as.client.send(HttpRequest.newBuilder(as.uri(path)).header("Authorization", "Bearer " + as.apiKey)
                    .build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Polls job {@code path} until its status is one of {@code done}; returns it. */
    static JsonNode await(TestServer as, String path, Set<String> done, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        JsonNode job = null;
        while (System.nanoTime() < deadline) {
            job = as.get(path).body();
            if (done.contains(job.get("status").asText())) {
                return job;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("job " + path + " not done within " + limit + ": " + job);
    }

    /** The lines of a JSONL text, by custom_id. */
    static Map<String, JsonNode> byCustomId(String jsonl) throws IOException {
        Map<String, JsonNode> lines = new HashMap<>();
        for (String line : jsonl.split("\n")) {
            if (!line.isBlank()) {
                JsonNode node = TestServer.JSON.readTree(line);
                assertThat(lines.put(node.get("custom_id").asText(), node)).as("custom_id written once: %s", line).isNull();
            }
        }
        return lines;
    }

    private static final String SECRET = "the recipe of grandmother's secret sauce";

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void filesAreKeptEncryptedReadByTheirOwnerAuditedWithoutContentAndMissingForOthers(TestDatabases kind)
            throws Exception {
        try (TenancyFixture f = serving(kind)) {
            byte[] content = ("{\"custom_id\": \"1\", \"body\": {\"messages\": [{\"role\": \"user\", \"content\": \""
                    + SECRET + "\"}]}}\n").getBytes(StandardCharsets.UTF_8);
            TestServer.Reply uploaded = upload(f.a, "requests.jsonl", "batch", content);
            assertThat(uploaded.status()).as(uploaded.raw().body()).isEqualTo(200);
            String id = uploaded.body().get("id").asText();
            assertThat(uploaded.body().get("object").asText()).isEqualTo("file");
            assertThat(uploaded.body().get("bytes").asLong()).isEqualTo(content.length);
            assertThat(uploaded.body().get("filename").asText()).isEqualTo("requests.jsonl");
            assertThat(uploaded.body().get("purpose").asText()).isEqualTo("batch");
            assertThat(uploaded.body().get("num_lines").asInt()).isEqualTo(1);

            assertThat(f.a.get("/v1/files").body().get("data").findValuesAsText("id")).contains(id);
            assertThat(f.a.get("/v1/files/" + id).body().get("filename").asText()).isEqualTo("requests.jsonl");
            assertThat(text(f.a, "/v1/files/" + id + "/content")).isEqualTo(new String(content, StandardCharsets.UTF_8));

            // At rest: ciphertext only, name and content; the audit names the file and its size, never what it holds.
            List<byte[]> stored = f.database.jdbi().withHandle(h -> h.createQuery(
                    "SELECT content FROM file_parts WHERE file_id = :id").bind("id", id).mapTo(byte[].class).list());
            assertThat(stored).hasSize(1);
            assertThat(new String(stored.getFirst(), StandardCharsets.ISO_8859_1)).doesNotContain("grandmother");
            byte[] name = f.database.jdbi().withHandle(h -> h.createQuery("SELECT filename FROM files WHERE id = :id")
                    .bind("id", id).mapTo(byte[].class).one());
            assertThat(new String(name, StandardCharsets.ISO_8859_1)).doesNotContain("requests.jsonl");
            assertThat(f.audit().toString()).doesNotContain("grandmother").contains(id);
            assertThat(f.audit("files.upload", "SUCCESS")).hasSize(1);
            assertThat(f.audit("files.content", "SUCCESS")).hasSize(1);

            // Another organization's key: the id is missing, for reading, downloading and deleting alike.
            assertThat(f.b.get("/v1/files/" + id).status()).isEqualTo(404);
            assertThat(f.b.get("/v1/files/" + id + "/content").status()).isEqualTo(404);
            assertThat(f.b.send(HttpRequest.newBuilder(f.b.uri("/v1/files/" + id)).DELETE().build()).status())
                    .isEqualTo(404);
            assertThat(f.b.get("/v1/files").body().get("data").findValuesAsText("id")).doesNotContain(id);
            assertThat(f.audit("files.read", "DENIED")).isNotEmpty();

            TestServer.Reply deleted = f.a.send(HttpRequest.newBuilder(f.a.uri("/v1/files/" + id)).DELETE().build());
            assertThat(deleted.body().get("deleted").asBoolean()).isTrue();
            assertThat(f.a.get("/v1/files/" + id).status()).isEqualTo(404);
            assertThat(f.count("SELECT COUNT(*) FROM file_parts")).isZero();
        }
    }

    @Test
    void anUploadPastTheBodyLimitIsRefusedWith413NamingTheLimit() throws Exception {
        try (TenancyFixture f = serving(TestDatabases.SQLITE)) {
            TestServer.Reply reply = upload(f.a, "big.jsonl", "batch", new byte[(1 << 20) + 10]);
            assertThat(reply.status()).isEqualTo(413);
            assertThat(TenancyFixture.error(reply).get("message").asText()).contains(Integer.toString(1 << 20));
            TestServer.Reply purpose = upload(f.a, "x.jsonl", "fine-tune", "{}".getBytes(StandardCharsets.UTF_8));
            assertThat(purpose.status()).isEqualTo(400);
            assertThat(TenancyFixture.error(purpose).get("message").asText()).contains("purpose");
            assertThat(f.count("SELECT COUNT(*) FROM files")).isZero();
        }
    }

    @Test
    void aMistralJobAnswersEveryGoodLineAndFailsEachBadOneWithItsReasonWhileTheJobGoesOn() throws Exception {
        try (TenancyFixture f = serving(TestDatabases.SQLITE)) {
            String lines = """
                    {"custom_id": "a", "body": {"max_tokens": 6, "messages": [{"role": "user", "content": "Once upon a time"}]}}
                    {"custom_id": "b", "body": {"max_tokens": 6, "messages": [{"role": "user", "content": "The cat sat"}]}}
                    this is not JSON
                    {"custom_id": "c", "body": {"max_tokens": 6, "messages": "not a list"}}
                    {"custom_id": "a", "body": {"max_tokens": 6, "messages": [{"role": "user", "content": "again"}]}}
                    {"body": {"max_tokens": 6, "messages": [{"role": "user", "content": "no id"}]}}
                    {"custom_id": "d", "body": {"max_tokens": 6, "messages": [{"role": "user", "content": "Tom and Sue"}]}}
                    """;
            String file = upload(f.a, "requests.jsonl", "batch", lines.getBytes(StandardCharsets.UTF_8)).body().get("id")
                    .asText();
            TestServer.Reply created = f.a.post("/v1/batch/jobs", """
                    {"input_files": ["%s"], "endpoint": "/v1/chat/completions", "model": "stories260K",
                     "metadata": {"shop": "alpha"}, "timeout_hours": 2}""".formatted(file));
            assertThat(created.status()).as(created.raw().body()).isEqualTo(200);
            assertThat(created.body().get("total_requests").asInt()).isEqualTo(7);
            String id = created.body().get("id").asText();
            JsonNode job = await(f.a, "/v1/batch/jobs/" + id, Set.of("SUCCESS", "FAILED"), Duration.ofSeconds(60));
            assertThat(job.get("status").asText()).isEqualTo("SUCCESS");
            assertThat(job.get("completed_requests").asInt()).isEqualTo(7);
            assertThat(job.get("succeeded_requests").asInt()).isEqualTo(3);
            assertThat(job.get("failed_requests").asInt()).isEqualTo(4);
            assertThat(job.get("metadata").get("shop").asText()).isEqualTo("alpha");

            Map<String, JsonNode> output = byCustomId(text(f.a, "/v1/files/" + job.get("output_file").asText() + "/content"));
            assertThat(output.keySet()).containsExactlyInAnyOrder("a", "b", "d");
            JsonNode answer = output.get("a").get("response");
            assertThat(answer.get("status_code").asInt()).isEqualTo(200);
            assertThat(answer.get("body").get("object").asText()).isEqualTo("chat.completion");
            assertThat(answer.get("body").get("choices").get(0).get("message").get("content").asText()).isNotEmpty();
            // The same signed statement as an interactive answer: the text is AI-generated, by this model.
            assertThat(answer.get("body").get("provenance").isObject()).isTrue();

            String errors = text(f.a, "/v1/files/" + job.get("error_file").asText() + "/content");
            assertThat(errors.split("\n")).hasSize(4);
            assertThat(errors).contains("line 3: not valid JSON").contains("custom_id 'a' is already the custom_id of line 1")
                    .contains("line 6: custom_id must be").contains("messages");
            Map<String, JsonNode> failed = new HashMap<>();
            for (String line : errors.split("\n")) {
                JsonNode node = TestServer.JSON.readTree(line);
                failed.put(node.get("custom_id").isNull() ? "line" + failed.size() : node.get("custom_id").asText(), node);
            }
            assertThat(failed.get("c").get("response").get("status_code").asInt()).isIn(400, 422);

            // Each line ran as a model call of its own, audited and metered as an interactive one is.
            assertThat(f.audit("model.call", "SUCCESS")).hasSize(3);
            assertThat(f.audit("batch.create", "SUCCESS")).hasSize(1);
            assertThat(f.audit("batch.end", "SUCCESS")).hasSize(1);

            // Lists filter by status and metadata; another organization sees none of it.
            assertThat(f.a.get("/v1/batch/jobs?status=SUCCESS").body().get("total").asInt()).isEqualTo(1);
            assertThat(f.a.get("/v1/batch/jobs?status=RUNNING").body().get("total").asInt()).isZero();
            assertThat(f.a.get("/v1/batch/jobs?metadata=%7B%22shop%22%3A%22beta%22%7D").body().get("total").asInt())
                    .isZero();
            assertThat(f.b.get("/v1/batch/jobs").body().get("total").asInt()).isZero();
            assertThat(f.b.get("/v1/batch/jobs/" + id).status()).isEqualTo(404);
            assertThat(f.b.post("/v1/batch/jobs/" + id + "/cancel", "").status()).isEqualTo(404);
            assertThat(f.b.get("/v1/files/" + job.get("output_file").asText() + "/content").status()).isEqualTo(404);
        }
    }

    @Test
    void inlineRequestsRunOnEveryEndpointAndTheOpenAiShapeReadsTheSameJob() throws Exception {
        try (TenancyFixture f = serving(TestDatabases.SQLITE)) {
            TestServer.Reply created = f.a.post("/v1/batch/jobs", """
                    {"endpoint": "/v1/embeddings", "model": "stories260K", "requests": [
                      {"custom_id": "e1", "body": {"input": "Once upon a time"}},
                      {"custom_id": "e2", "body": {"input": ["The cat", "The dog"]}}]}""");
            assertThat(created.status()).as(created.raw().body()).isEqualTo(200);
            String id = created.body().get("id").asText();
            JsonNode job = await(f.a, "/v1/batch/jobs/" + id, Set.of("SUCCESS"), Duration.ofSeconds(60));
            Map<String, JsonNode> output = byCustomId(text(f.a, "/v1/files/" + job.get("output_file").asText() + "/content"));
            assertThat(output.get("e2").get("response").get("body").get("data")).hasSize(2);

            JsonNode openAi = f.a.get("/v1/batches/" + id).body();
            assertThat(openAi.get("status").asText()).isEqualTo("completed");
            assertThat(openAi.get("request_counts").get("completed").asInt()).isEqualTo(2);
            assertThat(openAi.get("output_file_id").asText()).isEqualTo(job.get("output_file").asText());

            String completions = """
                    {"custom_id": "t1", "method": "POST", "url": "/v1/completions", "body": {"model": "stories260K", "prompt": "Once", "max_tokens": 5}}
                    {"custom_id": "t2", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "stories260K", "prompt": "Once"}}
                    """;
            String file = upload(f.a, "c.jsonl", "batch", completions.getBytes(StandardCharsets.UTF_8)).body().get("id")
                    .asText();
            TestServer.Reply batch = f.a.post("/v1/batches", """
                    {"input_file_id": "%s", "endpoint": "/v1/completions", "completion_window": "24h"}""".formatted(file));
            assertThat(batch.status()).as(batch.raw().body()).isEqualTo(200);
            JsonNode done = await(f.a, "/v1/batches/" + batch.body().get("id").asText(), Set.of("completed"),
                    Duration.ofSeconds(60));
            assertThat(done.get("request_counts").get("failed").asInt()).isEqualTo(1);
            assertThat(text(f.a, "/v1/files/" + done.get("output_file_id").asText() + "/content"))
                    .contains("\"custom_id\":\"t1\"").contains("text_completion");
            assertThat(text(f.a, "/v1/files/" + done.get("error_file_id").asText() + "/content"))
                    .contains("url must be the job's endpoint");

            // Fill in the middle runs as its route does: the bundled model has no such tokens, and the line says so.
            TestServer.Reply fim = f.a.post("/v1/batch/jobs", """
                    {"endpoint": "/v1/fim/completions", "model": "stories260K", "requests": [
                      {"custom_id": "f1", "body": {"prompt": "def f(", "suffix": "return 1", "max_tokens": 4}}]}""");
            JsonNode fimJob = await(f.a, "/v1/batch/jobs/" + fim.body().get("id").asText(), Set.of("SUCCESS"),
                    Duration.ofSeconds(60));
            assertThat(text(f.a, "/v1/files/" + fimJob.get("error_file").asText() + "/content"))
                    .contains("cannot fill in the middle");

            assertThat(f.a.post("/v1/batch/jobs", """
                    {"endpoint": "/v1/moderations", "requests": [{"custom_id": "x", "body": {}}]}""").status())
                    .isEqualTo(400);
            assertThat(f.a.post("/v1/batches", """
                    {"input_file_id": "%s", "endpoint": "/v1/completions", "completion_window": "soon"}""".formatted(file))
                    .status()).isEqualTo(400);
        }
    }

    @Test
    void cancelStopsAJobWithinSecondsAndKeepsTheLinesItFinished() throws Exception {
        try (TenancyFixture f = serving(TestDatabases.SQLITE)) {
            List<String> requests = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                requests.add("{\"custom_id\": \"r" + i + "\", \"body\": {\"max_tokens\": 200, \"messages\": [{\"role\":"
                        + " \"user\", \"content\": \"Once upon a time " + i + "\"}]}}");
            }
            TestServer.Reply created = f.a.post("/v1/batch/jobs", "{\"endpoint\": \"/v1/chat/completions\", \"model\":"
                    + " \"stories260K\", \"requests\": [" + String.join(",", requests) + "]}");
            String id = created.body().get("id").asText();
            await(f.a, "/v1/batch/jobs/" + id, Set.of("RUNNING"), Duration.ofSeconds(30));
            while (f.a.get("/v1/batch/jobs/" + id).body().get("succeeded_requests").asInt() < 3) {
                Thread.sleep(20);
            }
            long asked = System.nanoTime();
            TestServer.Reply cancel = f.a.post("/v1/batch/jobs/" + id + "/cancel", "");
            assertThat(cancel.body().get("status").asText()).isIn("CANCELLATION_REQUESTED", "CANCELLED");
            JsonNode job = await(f.a, "/v1/batch/jobs/" + id, Set.of("CANCELLED"), Duration.ofSeconds(5));
            assertThat(Duration.ofNanos(System.nanoTime() - asked)).isLessThan(Duration.ofSeconds(5));
            int succeeded = job.get("succeeded_requests").asInt();
            assertThat(succeeded).isBetween(3, 399);
            Map<String, JsonNode> output = byCustomId(text(f.a, "/v1/files/" + job.get("output_file").asText() + "/content"));
            assertThat(output).hasSize(succeeded);
            Thread.sleep(500);
            assertThat(f.a.get("/v1/batch/jobs/" + id).body().get("succeeded_requests").asInt()).isEqualTo(succeeded);
            assertThat(f.audit("batch.cancel", "SUCCESS")).hasSize(1);
        }
    }

    @Test
    void retentionErasureAndExportCoverFilesAndJobs() throws Exception {
        try (TenancyFixture f = serving(TestDatabases.SQLITE)) {
            String file = upload(f.a, "keep.jsonl", "batch", ("{\"custom_id\": \"1\", \"body\": {\"max_tokens\": 3,"
                    + " \"messages\": [{\"role\": \"user\", \"content\": \"" + SECRET + "\"}]}}\n")
                    .getBytes(StandardCharsets.UTF_8)).body().get("id").asText();
            String id = f.a.post("/v1/batch/jobs", "{\"input_files\": [\"" + file + "\"], \"endpoint\":"
                    + " \"/v1/chat/completions\", \"model\": \"stories260K\"}").body().get("id").asText();
            await(f.a, "/v1/batch/jobs/" + id, Set.of("SUCCESS"), Duration.ofSeconds(60));

            JsonNode export = f.signedIn(TenancyFixture.OWNER_A).get("/v1/admin/export").body();
            assertThat(export.get("files").findValuesAsText("id")).contains(file);
            assertThat(export.get("files").toString()).contains(SECRET);
            assertThat(export.get("batch_jobs").findValuesAsText("id")).containsExactly(id);

            privacy.retention().set(f.orgA.id(), 1, Actor.SYSTEM);
            f.clock.advance(Duration.ofDays(2));
            List<Retention.Purged> purged = privacy.retention().purge();
            assertThat(purged).singleElement().satisfies(p -> {
                assertThat(p.files()).isEqualTo(3);
                assertThat(p.batchJobs()).isEqualTo(1);
            });
            assertThat(f.a.get("/v1/files/" + file).status()).isEqualTo(404);
            assertThat(f.a.get("/v1/batch/jobs/" + id).status()).isEqualTo(404);
            assertThat(f.count("SELECT COUNT(*) FROM file_parts")).isZero();
        }
    }

    @Test
    void aJobWhoseKeyIsRevokedStopsAndFailsSayingWhy() throws Exception {
        try (TenancyFixture f = serving(TestDatabases.SQLITE)) {
            ApiKeys.Created key = f.tenancy.keys().create(f.orgA.id(), "batch",
                    Set.of(Scope.CHAT), null, Actor.SYSTEM);
            TestServer as = new TestServer(f.server, key.secret());
            List<String> requests = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                requests.add("{\"custom_id\": \"r" + i + "\", \"body\": {\"max_tokens\": 200, \"messages\": [{\"role\":"
                        + " \"user\", \"content\": \"Once upon a time " + i + "\"}]}}");
            }
            String id = as.post("/v1/batch/jobs", "{\"endpoint\": \"/v1/chat/completions\", \"model\":"
                    + " \"stories260K\", \"requests\": [" + String.join(",", requests) + "]}").body().get("id").asText();
            while (f.a.get("/v1/batch/jobs/" + id).body().get("succeeded_requests").asInt() < 2) {
                Thread.sleep(20);
            }
            f.tenancy.keys().revoke(f.orgA.id(), key.key().id(), Actor.SYSTEM);
            // The organization's administrator still sees the job: failed, saying why, its finished lines kept.
            JsonNode job = await(f.a, "/v1/batch/jobs/" + id, Set.of("FAILED"), Duration.ofSeconds(5));
            assertThat(job.get("errors").get(0).get("message").asText()).contains("can no longer make requests");
            assertThat(job.get("succeeded_requests").asInt()).isBetween(2, 399);
            assertThat(byCustomId(text(f.a, "/v1/files/" + job.get("output_file").asText() + "/content")))
                    .hasSize(job.get("succeeded_requests").asInt());
        }
    }
}

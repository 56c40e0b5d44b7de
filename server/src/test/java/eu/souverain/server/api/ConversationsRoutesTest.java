package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.backends.Backends;
import eu.souverain.server.backends.LocalBackend;
import eu.souverain.server.catalogue.CatalogueStore;
import eu.souverain.server.limits.Metering;
import eu.souverain.server.privacy.Privacy;
import eu.souverain.server.privacy.Redactions;
import eu.souverain.server.provenance.ProvenanceSigner;
import eu.souverain.server.sovereignty.Residency;
import eu.souverain.server.store.TestDatabases;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.Role;
import eu.souverain.server.tenancy.Scope;
import eu.souverain.server.vault.KeyFileMasterKey;
import eu.souverain.server.vault.Vault;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.params.provider.EnumSource;

class ConversationsRoutesTest {

    @TempDir
    Path dir;

    /** The tenancy fixture, serving the bundled model and keeping conversations. */
    private TenancyFixture serving(TestDatabases kind) throws IOException {
        TenancyFixture f = new TenancyFixture(kind, dir);
        AuditLog audit = f.tenancy.audit();
        Vault vault = new Vault(f.database, KeyFileMasterKey.open(dir.resolve("keys").resolve(KeyFileMasterKey.FILE)),
                audit, f.clock);
        Backends backends = Backends.of(LocalBackend.load(Map.of("stories260K", TestServer.BUNDLED_MODEL),
                new LocalBackend.Settings(0, 1, 16, 4, 0, null)), List.of());
        Redactions redactions = new Redactions(f.database, audit, f.clock);
        f.server.serve(new ApiServer.Services(backends, new Residency(f.database, audit, f.clock),
                Privacy.open(f.database, vault, audit, f.clock), redactions,
                TestServices.report(f.server, f.tenancy, f.database, dir, vault, redactions, f.clock, backends),
                new Metering(f.database, audit, f.clock), ProvenanceSigner.open(dir.resolve(ProvenanceSigner.FILE)),
                new CatalogueStore(f.database, audit, vault, f.clock),
                TestServices.documents(f.database, vault, audit, f.clock, dir)));
        return f;
    }

    private static TestServer.Reply patch(TestServer as, String path, String json) {
        return as.send(HttpRequest.newBuilder(as.uri(path)).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(json)).build());
    }

    private static TestServer.Reply put(TestServer as, String path, String json) {
        return as.send(HttpRequest.newBuilder(as.uri(path)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    private static TestServer.Reply delete(TestServer as, String path) {
        return as.send(HttpRequest.newBuilder(as.uri(path)).DELETE().build());
    }

    private static TestServer signedIn(TenancyFixture f, String email) {
        TestServer.Reply login = f.login(email, TenancyFixture.PASSWORD);
        assertThat(login.status()).isEqualTo(200);
        return TestServer.signedIn(f.server, TenancyFixture.cookie(login), login.body().get("csrf_token").asText());
    }

    private static final String ASK = """
            {"model": "stories260K", "max_tokens": 6, "seed": 1, "store": true, "metadata": {"ticket": "42"},
             "messages": [{"role": "user", "content": "Once upon a time"}]%s}""";

    @Test
    void storeTrueKeepsTheRequestAndItsAnswerWholeOrStreamed() throws IOException {
        try (TenancyFixture f = serving(TestDatabases.SQLITE)) {
            TestServer.Reply reply = f.a.post(ASK.formatted(""));
            assertThat(reply.status()).isEqualTo(200);
            String id = reply.body().get("conversation_id").asText();
            assertThat(reply.header(ConversationsRoutes.CONVERSATION_HEADER)).isEqualTo(id);
            JsonNode kept = f.a.get("/v1/conversations/" + id).body();
            assertThat(kept.get("title").asText()).isEqualTo("Once upon a time");
            assertThat(kept.get("metadata").get("ticket").asText()).isEqualTo("42");
            assertThat(kept.get("messages")).hasSize(2);
            JsonNode answer = kept.get("messages").get(1);
            assertThat(answer.get("role").asText()).isEqualTo("assistant");
            assertThat(answer.get("content").asText())
                    .isEqualTo(reply.body().get("choices").get(0).get("message").get("content").asText());
            assertThat(answer.get("backend").asText()).isEqualTo("local");
            assertThat(answer.get("usage").get("completion_tokens").asInt())
                    .isEqualTo(reply.body().get("usage").get("completion_tokens").asInt());

            f.clock.advance(java.time.Duration.ofSeconds(1));
            List<String> events = f.a.stream(ASK.formatted(", \"stream\": true"));
            StringBuilder streamed = new StringBuilder();
            String streamedId = null;
            for (String event : events) {
                if (event.equals("[DONE]")) {
                    continue;
                }
                JsonNode chunk = TestServer.JSON.readTree(event);
                streamedId = chunk.get("conversation_id").asText();
                JsonNode delta = chunk.get("choices").get(0).get("delta");
                if (delta.has("content")) {
                    streamed.append(delta.get("content").asText());
                }
            }
            assertThat(streamedId).startsWith("conv_").isNotEqualTo(id);
            JsonNode streamedKept = f.a.get("/v1/conversations/" + streamedId).body();
            assertThat(streamedKept.get("messages").get(1).get("content").asText()).isEqualTo(streamed.toString());
            assertThat(f.a.get("/v1/conversations").body().get("data")).extracting(c -> c.get("id").asText())
                    .containsExactly(streamedId, id);
            // Without store, nothing is kept.
            f.a.post("""
                    {"model": "stories260K", "max_tokens": 2, "messages": [{"role": "user", "content": "Hi"}]}""");
            assertThat(f.count("SELECT COUNT(*) FROM conversations")).isEqualTo(2);
        }
    }

    @Test
    void theWebAppCreatesRenamesContinuesAndErasesAConversation() throws IOException {
        try (TenancyFixture f = serving(TestDatabases.SQLITE)) {
            TestServer.Reply created = f.a.post("/v1/conversations", """
                    {"title": "Bedtime", "system_prompt": "Tell short stories.", "model": "stories260K"}""");
            assertThat(created.status()).isEqualTo(201);
            String id = created.body().get("id").asText();
            String path = "/v1/conversations/" + id;

            TestServer.Reply renamed = patch(f.a, path, "{\"title\": \"Dragons\", \"temperature\": 0.1}");
            assertThat(renamed.status()).isEqualTo(200);
            assertThat(renamed.body().get("title").asText()).isEqualTo("Dragons");
            assertThat(renamed.body().get("temperature").asDouble()).isEqualTo(0.1);
            assertThat(renamed.body().get("system_prompt").asText()).isEqualTo("Tell short stories.");
            assertThat(f.a.get("/v1/conversations?q=drag").body().get("data")).hasSize(1);
            assertThat(f.a.get("/v1/conversations?q=bedtime").body().get("data")).isEmpty();

            assertThat(f.a.post(path + "/messages", "{\"role\": \"user\", \"content\": \"A cat\"}").status()).isEqualTo(201);
            assertThat(f.a.post(path + "/messages", "{\"role\": \"assistant\", \"content\": \"Meow\"}").status())
                    .isEqualTo(201);
            TestServer.Reply answered = f.a.post(path + "/completions", "{\"content\": \"A dog\", \"max_tokens\": 4}");
            assertThat(answered.status()).as(answered.raw().body()).isEqualTo(200);
            assertThat(answered.body().get("conversation_id").asText()).isEqualTo(id);
            List<String> streamed = f.a.stream(path + "/completions",
                    "{\"content\": \"A bird\", \"max_tokens\": 3, \"stream\": true}");
            assertThat(streamed).last().isEqualTo("[DONE]");
            JsonNode messages = f.a.get(path).body().get("messages");
            assertThat(messages).extracting(m -> m.get("role").asText())
                    .containsExactly("user", "assistant", "user", "assistant", "user", "assistant");
            assertThat(messages.get(2).get("content").asText()).isEqualTo("A dog");
            assertThat(messages.get(3).get("content").asText())
                    .isEqualTo(answered.body().get("choices").get(0).get("message").get("content").asText());

            assertThat(f.a.post(path + "/messages", "{\"role\": \"wizard\", \"content\": \"x\"}").status()).isEqualTo(400);
            assertThat(patch(f.a, path, "{\"colour\": \"red\"}").status()).isEqualTo(422);
            assertThat(patch(f.a, path, "{\"temperature\": \"hot\"}").status()).isEqualTo(422);

            assertThat(delete(f.a, path).status()).isEqualTo(204);
            assertThat(f.a.get(path).status()).isEqualTo(404);
            assertThat(f.count("SELECT COUNT(*) FROM messages")).isZero();
            assertThat(f.audit("conversations.delete", "SUCCESS")).hasSize(1);
        }
    }

    @Test
    void aConversationGoesOnFromBeforeAMessageItsOwnerRemovesWithEveryLaterOne() throws IOException {
        try (TenancyFixture f = serving(TestDatabases.SQLITE)) {
            f.tenancy.users().create(f.orgA.id(), "member@a.example", Role.MEMBER, TenancyFixture.PASSWORD, Actor.SYSTEM,
                    true);
            TestServer member = signedIn(f, "member@a.example");
            TestServer owner = signedIn(f, TenancyFixture.OWNER_A);
            JsonNode created = member.post("/v1/conversations", """
                    {"title": "Edits", "messages": [{"role": "user", "content": "one"}, {"role": "assistant", "content": "1"},
                     {"role": "user", "content": "two"}, {"role": "assistant", "content": "2"}]}""").body();
            String path = "/v1/conversations/" + created.get("id").asText();
            String two = created.get("messages").get(2).get("id").asText();
            String other = member.post("/v1/conversations", "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}")
                    .body().get("messages").get(0).get("id").asText();

            assertThat(delete(member, path + "/messages/" + other).status()).isEqualTo(404);
            assertThat(delete(member, path + "/messages/msg_missing").status()).isEqualTo(404);
            assertThat(delete(owner, path + "/messages/" + two).status()).isEqualTo(404);
            assertThat(member.get(path).body().get("messages")).hasSize(4);

            assertThat(delete(member, path + "/messages/" + two).status()).isEqualTo(204);
            assertThat(member.get(path).body().get("messages")).extracting(m -> m.get("content").asText())
                    .containsExactly("one", "1");
            assertThat(f.audit("conversations.truncate", "SUCCESS")).singleElement()
                    .satisfies(e -> assertThat(e.get("resource")).isEqualTo(created.get("id").asText() + "/" + two));
            assertThat(f.audit("conversations.truncate", "DENIED")).hasSize(1);

            TestServer.Reply again = member.post(path + "/completions", "{\"content\": \"three\", \"max_tokens\": 2}");
            assertThat(again.status()).isEqualTo(200);
            assertThat(member.get(path).body().get("messages")).extracting(m -> m.get("content").asText())
                    .startsWith("one", "1", "three").hasSize(4);
        }
    }

    @Test
    void aConversationIsNamedAfterItsFirstMessageAndAStyleOpensItsSystemPrompt() throws IOException {
        try (TenancyFixture f = serving(TestDatabases.SQLITE)) {
            String path = "/v1/conversations/" + f.a.post("/v1/conversations", "{}").body().get("id").asText();
            TestServer.Reply plain = f.a.post(path + "/completions",
                    "{\"content\": \"Tell me a story about a dragon. Make it short.\", \"max_tokens\": 2}");
            assertThat(plain.status()).isEqualTo(200);
            assertThat(f.a.get(path).body().get("title").asText()).isEqualTo("Tell me a story about a dragon");

            TestServer.Reply styled = f.a.post(path + "/completions",
                    "{\"content\": \"And another one\", \"max_tokens\": 2, \"style\": \"structured\"}");
            assertThat(styled.status()).isEqualTo(200);
            assertThat(f.a.get(path).body().get("title").asText()).as("only the first message names it")
                    .isEqualTo("Tell me a story about a dragon");
            TestServer.Reply unstyled = f.a.post(path + "/completions",
                    "{\"content\": \"And another one\", \"max_tokens\": 2}");
            int history = unstyled.body().get("usage").get("prompt_tokens").asInt()
                    - plain.body().get("usage").get("prompt_tokens").asInt();
            assertThat(styled.body().get("usage").get("prompt_tokens").asInt())
                    .as("the structured style's instruction is in the prompt").isGreaterThan(history + 10);

            TestServer.Reply wrong = f.a.post(path + "/completions", "{\"content\": \"x\", \"style\": \"poetic\"}");
            assertThat(wrong.status()).isEqualTo(400);
            assertThat(TenancyFixture.error(wrong).get("param").asText()).isEqualTo("style");
            assertThat(TenancyFixture.error(wrong).get("message").asText()).contains("conversational, structured");
        }
    }

    @Test
    void theOldestTurnsThatOutgrowTheContextAreLeftOutOfThePromptAndStayKept() throws IOException {
        try (TenancyFixture f = serving(TestDatabases.SQLITE)) {
            String story = "Once upon a time there was a little dog who liked to run in the park. ".repeat(16);
            String id = f.a.post("/v1/conversations", """
                    {"messages": [{"role": "user", "content": "Tell me a story"}, {"role": "assistant", "content": "%s"},
                     {"role": "user", "content": "Another"}, {"role": "assistant", "content": "%s"}]}"""
                    .formatted(story, story)).body().get("id").asText();
            String path = "/v1/conversations/" + id;

            TestServer.Reply answered = f.a.post(path + "/completions", "{\"content\": \"And then?\", \"max_tokens\": 4}");
            assertThat(answered.status()).as(answered.raw().body()).isEqualTo(200);
            int prompt = answered.body().get("usage").get("prompt_tokens").asInt();
            assertThat(prompt).as("one story left out, one kept").isBetween(200, 511);
            assertThat(f.a.get(path).body().get("messages")).hasSize(6);

            String tooLong = "Once upon a time there was a little dog. ".repeat(60);
            TestServer.Reply refused = f.a.post(path + "/completions", "{\"content\": \"" + tooLong + "\"}");
            assertThat(refused.status()).isEqualTo(400);
            assertThat(TenancyFixture.error(refused).get("code").asText()).isEqualTo("context_length_exceeded");
            assertThat(f.a.get(path).body().get("messages")).hasSize(6);
        }
    }

    /**
     * Past the messages one request may hold too (2,100 turns): continued all the same. Leaving out
     * one turn at a time took 51 s for 1,500 turns; the model now finds where to start in about
     * log2(turns) renders (see OldestTurnsTest).
     */
    @ParameterizedTest
    @ValueSource(ints = {1500, 2100})
    void aConversationOfThousandsOfTurnsIsContinued(int turns) throws IOException {
        try (TenancyFixture f = serving(TestDatabases.SQLITE)) {
            StringBuilder messages = new StringBuilder("{\"messages\": [");
            for (int i = 0; i < turns; i++) {
                messages.append(i > 0 ? "," : "").append("{\"role\": \"user\", \"content\": \"Where did the dog go ")
                        .append(i).append("?\"}, {\"role\": \"assistant\", \"content\": \"The dog ran to the park ")
                        .append(i).append(".\"}");
            }
            String id = f.a.post("/v1/conversations", messages.append("]}").toString()).body().get("id").asText();
            long start = System.nanoTime();
            TestServer.Reply answered = f.a.post("/v1/conversations/" + id + "/completions",
                    "{\"content\": \"And then?\", \"max_tokens\": 4}");
            System.out.printf("a conversation of %d turns continued in %d ms%n", turns,
                    (System.nanoTime() - start) / 1_000_000);
            assertThat(answered.status()).as(answered.raw().body()).isEqualTo(200);
            assertThat(answered.body().get("usage").get("prompt_tokens").asInt()).isBetween(400, 511);
            assertThat(f.a.get("/v1/conversations/" + id).body().get("messages")).hasSize(2 * turns + 2);

            // A new message longer than the context alone is refused at once, not after a try per turn.
            String tooLong = "Once upon a time there was a little dog. ".repeat(60);
            start = System.nanoTime();
            TestServer.Reply refused = f.a.post("/v1/conversations/" + id + "/completions",
                    "{\"content\": \"" + tooLong + "\"}");
            System.out.printf("a message too long refused after %d turns in %d ms%n", turns,
                    (System.nanoTime() - start) / 1_000_000);
            assertThat(refused.status()).isEqualTo(400);
            assertThat(TenancyFixture.error(refused).get("code").asText()).isEqualTo("context_length_exceeded");
        }
    }

    @Test
    void titlesFromAFirstMessageStopAtItsFirstSentenceOrAWordBoundary() {
        assertThat(ConversationsRoutes.title("Once upon a time")).isEqualTo("Once upon a time");
        assertThat(ConversationsRoutes.title("  How do I bake bread? I have flour.")).isEqualTo("How do I bake bread?");
        assertThat(ConversationsRoutes.title("Fix this:\n\n```java\nint x;\n```")).isEqualTo("Fix this:");
        assertThat(ConversationsRoutes.title("Version 2.5 of the model is out")).isEqualTo("Version 2.5 of the model is out");
        assertThat(ConversationsRoutes.title("Please summarize the quarterly report of our logistics branch in Lyon"
                + " for the board")).isEqualTo("Please summarize the quarterly report of our logistics…");
        assertThat(ConversationsRoutes.title("x".repeat(100))).hasSize(ConversationsRoutes.TITLE_FROM_MESSAGE_CHARS);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void anotherOrganizationGetsTheSame404AsForAMissingIdOnEveryRouteAndIsAudited(TestDatabases kind)
            throws IOException {
        try (TenancyFixture f = serving(kind)) {
            String id = f.a.post("/v1/conversations", "{\"title\": \"Alpha's\"}").body().get("id").asText();
            String missing = "conv_" + "x".repeat(22);
            record Call(String method, String suffix, String body) {
            }
            List<Call> calls = List.of(new Call("GET", "", null), new Call("PATCH", "", "{\"title\": \"mine\"}"),
                    new Call("DELETE", "", null), new Call("POST", "/messages", "{\"role\": \"user\", \"content\": \"hi\"}"),
                    new Call("POST", "/completions", "{\"content\": \"hi\", \"max_tokens\": 2}"),
                    new Call("DELETE", "/messages/msg_" + "y".repeat(22), null));
            for (Call call : calls) {
                List<JsonNode> errors = new ArrayList<>();
                for (String target : List.of(id, missing)) {
                    HttpRequest.Builder request = HttpRequest.newBuilder(f.b.uri("/v1/conversations/" + target + call.suffix()))
                            .header("Content-Type", "application/json");
                    request.method(call.method(), call.body() == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(call.body()));
                    TestServer.Reply reply = f.b.send(request.build());
                    assertThat(reply.status()).as(call.toString()).isEqualTo(404);
                    errors.add(TestServer.JSON.readTree(reply.raw().body().replace(target, "ID")));
                }
                assertThat(errors.get(0)).as(call.toString()).isEqualTo(errors.get(1));
            }
            assertThat(f.audit().stream().filter(e -> "DENIED".equals(e.get("outcome")) && id.equals(e.get("resource"))
                    && f.orgB.id().equals(e.get("organization_id")))).hasSize(calls.size());
            assertThat(f.a.get("/v1/conversations/" + id).body().get("title").asText()).isEqualTo("Alpha's");
            assertThat(f.b.get("/v1/conversations").body().get("data")).isEmpty();
        }
    }

    @Test
    void membersSeeTheirOwnAdministratorsEraseButNeverReadAndAuditorsNeither() throws IOException {
        try (TenancyFixture f = serving(TestDatabases.SQLITE)) {
            f.tenancy.users().create(f.orgA.id(), "member@a.example", Role.MEMBER, TenancyFixture.PASSWORD, Actor.SYSTEM,
                    true);
            f.tenancy.users().create(f.orgA.id(), "auditor@a.example", Role.AUDITOR, TenancyFixture.PASSWORD, Actor.SYSTEM,
                    true);
            TestServer member = signedIn(f, "member@a.example");
            TestServer auditor = signedIn(f, "auditor@a.example");
            TestServer owner = signedIn(f, TenancyFixture.OWNER_A);
            String id = member.post("/v1/conversations", "{\"title\": \"private\"}").body().get("id").asText();
            String path = "/v1/conversations/" + id;

            assertThat(member.get(path).status()).isEqualTo(200);
            assertThat(owner.get(path).status()).isEqualTo(404);
            assertThat(owner.get("/v1/conversations").body().get("data")).isEmpty();
            assertThat(f.withScopes(Scope.CHAT).get(path).status()).isEqualTo(404);
            assertThat(auditor.get(path).status()).isEqualTo(403);
            assertThat(auditor.get("/v1/conversations").status()).isEqualTo(403);
            assertThat(auditor.get("/v1/conversations/export").status()).isEqualTo(403);

            assertThat(delete(owner, path).status()).isEqualTo(204);
            assertThat(member.get(path).status()).isEqualTo(404);
        }
    }

    @Test
    void everyModelCallIsAuditedOnceWithItsBackendAndNeverItsContent() throws IOException {
        try (TenancyFixture f = serving(TestDatabases.SQLITE)) {
            assertThat(f.a.post("""
                    {"model": "stories260K", "max_tokens": 2, "messages": [{"role": "user", "content": "Zanzibar"}]}""")
                    .status()).isEqualTo(200);
            f.a.stream("""
                    {"model": "stories260K", "max_tokens": 2, "stream": true, "messages": [{"role": "user", "content": "Hi"}]}""");
            assertThat(f.a.post("/v1/completions", "{\"model\": \"stories260K\", \"prompt\": \"Hi\", \"max_tokens\": 2}")
                    .status()).isEqualTo(200);
            assertThat(f.a.post("/v1/embeddings", "{\"model\": \"stories260K\", \"input\": \"Hi\"}").status()).isEqualTo(200);
            // Refused by the backend (a prompt longer than the context): a failed call.
            assertThat(f.a.post("""
                    {"model": "stories260K", "messages": [{"role": "user", "content": "%s"}]}"""
                    .formatted("word ".repeat(4000))).status()).isEqualTo(400);
            // Refused before any backend: no model call at all.
            assertThat(f.a.post("{\"model\": \"stories260K\", \"messages\": 7}").status()).isEqualTo(422);

            List<Map<String, Object>> calls = f.database.jdbi().withHandle(h -> h.createQuery(
                    "SELECT * FROM audit_entries WHERE action = 'model.call' ORDER BY seq").mapToMap().list());
            assertThat(calls).extracting(e -> e.get("outcome"))
                    .containsExactly("SUCCESS", "SUCCESS", "SUCCESS", "SUCCESS", "FAILURE");
            for (Map<String, Object> call : calls) {
                assertThat(call.get("organization_id")).isEqualTo(f.orgA.id());
                assertThat(call.get("resource")).isEqualTo("stories260K");
                assertThat(call.get("backend")).isEqualTo("local");
                assertThat(call.get("backend_location")).isNotNull();
                assertThat(call.get("client_ip")).isEqualTo("127.0.0.1");
            }
            assertThat(f.audit().toString()).doesNotContain("Zanzibar");
        }
    }

    @Test
    void retentionIsSetByAdministratorsAndReadByAuditors() throws IOException {
        try (TenancyFixture f = serving(TestDatabases.SQLITE)) {
            assertThat(f.a.get("/v1/admin/retention").body().get("days").isNull()).isTrue();
            assertThat(put(f.a, "/v1/admin/retention", "{\"days\": 30}").status()).isEqualTo(200);
            assertThat(f.withScopes(Scope.AUDIT).get("/v1/admin/retention").body().get("days").asInt()).isEqualTo(30);
            assertThat(f.b.get("/v1/admin/retention").body().get("days").isNull()).isTrue();
            assertThat(put(f.withScopes(Scope.CHAT), "/v1/admin/retention", "{\"days\": 1}").status()).isEqualTo(403);
            assertThat(put(f.a, "/v1/admin/retention", "{\"days\": \"thirty\"}").status()).isEqualTo(422);
            assertThat(put(f.a, "/v1/admin/retention", "{\"days\": 1.5}").status()).isEqualTo(422);
            assertThat(put(f.a, "/v1/admin/retention", "{\"days\": 0}").status()).isEqualTo(400);
            assertThat(put(f.a, "/v1/admin/retention", "{}").status()).isEqualTo(422);
            assertThat(put(f.a, "/v1/admin/retention", "{\"days\": null}").status()).isEqualTo(200);
            assertThat(f.a.get("/v1/admin/retention").body().get("days").isNull()).isTrue();
            assertThat(f.audit("retention.update", "SUCCESS")).hasSize(2);
        }
    }

    @Test
    void usersAndOrganizationsAreErasedAndExportedByThoseAllowed() throws IOException {
        try (TenancyFixture f = serving(TestDatabases.SQLITE)) {
            String memberId = f.tenancy.users().create(f.orgA.id(), "member@a.example", Role.MEMBER,
                    TenancyFixture.PASSWORD, Actor.SYSTEM, true).user().id();
            TestServer member = signedIn(f, "member@a.example");
            TestServer owner = signedIn(f, TenancyFixture.OWNER_A);
            member.post("/v1/conversations", "{\"title\": \"mine\", \"messages\": [{\"role\": \"user\", \"content\": \"hello\"}]}");
            f.a.post("/v1/conversations", "{\"title\": \"the key's\"}");
            f.b.post("/v1/conversations", "{\"title\": \"Beta's\"}");

            JsonNode own = member.get("/v1/conversations/export").body();
            assertThat(own.get("conversations")).hasSize(1);
            assertThat(own.get("conversations").get(0).get("messages").get(0).get("content").asText()).isEqualTo("hello");
            assertThat(f.a.get("/v1/admin/export").status()).isEqualTo(403);
            assertThat(owner.get("/v1/admin/export").body().get("conversations")).hasSize(2);
            assertThat(owner.get("/v1/admin/export?user=" + memberId).body().get("conversations")).hasSize(1);
            assertThat(f.b.get("/v1/admin/export?user=" + memberId).status()).isEqualTo(403);
            assertThat(f.audit("privacy.export", "SUCCESS")).hasSize(3);

            // Another organization's administrator: the same 404 as for no such user.
            assertThat(delete(f.b, "/v1/admin/users/" + memberId + "/data").status()).isEqualTo(404);
            TestServer.Reply erased = delete(f.a, "/v1/admin/users/" + memberId + "/data");
            assertThat(erased.status()).isEqualTo(200);
            assertThat(erased.body().get("conversations").asInt()).isEqualTo(1);
            assertThat(owner.get("/v1/admin/export").body().get("conversations")).hasSize(1);
            assertThat(f.audit("privacy.erase.user", "SUCCESS")).hasSize(1);
            assertThat(f.audit("vault.shred.user", "SUCCESS")).hasSize(1);

            assertThat(delete(f.b, "/v1/admin/organizations/" + f.orgA.id() + "/data").status()).isEqualTo(403);
            TestServer.Reply organization = delete(owner, "/v1/admin/organizations/" + f.orgB.id() + "/data");
            assertThat(organization.status()).isEqualTo(200);
            assertThat(organization.body().get("conversations").asInt()).isEqualTo(1);
            assertThat(f.count("SELECT COUNT(*) FROM conversations WHERE organization_id = '" + f.orgB.id() + "'")).isZero();
            assertThat(f.audit("privacy.erase.organization", "SUCCESS")).hasSize(1);
        }
    }
}

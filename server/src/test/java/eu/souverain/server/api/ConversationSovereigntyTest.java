package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.store.Database;
import eu.souverain.server.store.TestDatabases;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.Role;
import eu.souverain.server.tenancy.Scope;
import eu.souverain.server.vault.KeyFileMasterKey;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GET /v1/conversations/{id}/sovereignty on a real server: the facts of one conversation come from
 * the running system (store, data key, users, backends), only its owner reads them, and they never
 * carry its content.
 */
class ConversationSovereigntyTest {

    private static final String SECRET_TITLE = "Quarterly figures, do not share";
    private static final String SECRET_TEXT = "Once upon a time";

    @TempDir
    Path dir;

    private TenancyFixture f;

    @BeforeEach
    void start() throws IOException {
        f = new TenancyFixture(TestDatabases.SQLITE, dir);
        new ReportingServer(f, dir);
    }

    @AfterEach
    void stop() {
        f.close();
    }


    /** A conversation of {@code as} with one answered turn; its id. */
    private static String answered(TestServer as) {
        TestServer.Reply created = as.post("/v1/conversations", "{\"title\": \"" + SECRET_TITLE + "\"}");
        assertThat(created.status()).as("%s", created.body()).isEqualTo(201);
        String id = created.body().get("id").asText();
        TestServer.Reply answer = as.post("/v1/conversations/" + id + "/completions",
                "{\"content\": \"" + SECRET_TEXT + "\", \"max_tokens\": 4, \"seed\": 1}");
        assertThat(answer.status()).as("%s", answer.body()).isEqualTo(200);
        return id;
    }

    private static JsonNode facts(TestServer as, String id) {
        TestServer.Reply reply = as.get("/v1/conversations/" + id + "/sovereignty");
        assertThat(reply.status()).as("%s", reply.body()).isEqualTo(200);
        assertThat(reply.raw().body()).doesNotContain(SECRET_TITLE, SECRET_TEXT);
        return reply.body();
    }

    @Test
    void aUsersConversationShowsItsStoreKeyAccessAndTheBackendOfEachAnswer() {
        TestServer ann = f.signedIn("ann@a.example", Role.MEMBER);
        String annId = f.tenancy.users().list(f.orgA.id()).stream().filter(u -> u.email().equals("ann@a.example"))
                .findFirst().orElseThrow().id();
        f.tenancy.users().create(f.orgA.id(), "admin@a.example", Role.ADMIN, TenancyFixture.PASSWORD, Actor.SYSTEM, true);
        f.tenancy.users().create(f.orgA.id(), "dpo@a.example", Role.AUDITOR, TenancyFixture.PASSWORD, Actor.SYSTEM, true);
        String auditKey = f.tenancy.keys().create(f.orgA.id(), "siem", Set.of(Scope.AUDIT), null, Actor.SYSTEM).key().id();
        String id = answered(ann);

        JsonNode facts = facts(ann, id);
        assertThat(facts.get("conversation_id").asText()).isEqualTo(id);
        assertThat(facts.get("organization").get("name").asText()).isEqualTo("Alpha");

        JsonNode storage = facts.get("storage");
        assertThat(storage.get("kind").asText()).isEqualTo("sqlite");
        assertThat(storage.get("location").asText())
                .isEqualTo("SQLite file " + dir.resolve(Database.SQLITE_FILE).toAbsolutePath());
        assertThat(storage.get("data_directory").asText()).isEqualTo(dir.toAbsolutePath().normalize().toString());
        assertThat(storage.get("server_location").get("country").asText()).isEqualTo("FR");
        assertThat(storage.get("server_location").get("region").asText()).isEqualTo("paris-1");
        assertThat(storage.get("server_location").get("operator").asText()).isEqualTo("Alpha IT");

        JsonNode encryption = facts.get("encryption");
        assertThat(encryption.get("encrypted").asBoolean()).isTrue();
        assertThat(encryption.get("algorithm").asText()).contains("AES-256-GCM");
        // Every sealed column of a message is named, the answers' statements and document references too.
        assertThat(encryption.get("encrypted_fields")).extracting(JsonNode::asText)
                .contains("message_contents", "answer_provenance", "answer_references");
        JsonNode dataKey = encryption.get("data_key");
        assertThat(dataKey.get("scope").asText()).isEqualTo("user");
        assertThat(dataKey.get("user_id").asText()).isEqualTo(annId);
        Map<String, Object> row = f.database.jdbi().withHandle(h -> h.createQuery(
                        "SELECT key_id, master_key_id FROM data_keys WHERE organization_id = :org AND user_id = :user")
                .bind("org", f.orgA.id()).bind("user", annId).mapToMap().one());
        assertThat(dataKey.get("key_id").asLong()).isEqualTo(((Number) row.get("key_id")).longValue());
        assertThat(dataKey.get("master_key_id").asText()).isEqualTo(row.get("master_key_id"));
        assertThat(dataKey.get("age_days").asLong()).isZero();
        assertThat(dataKey.get("destroyed_at").isNull()).isTrue();
        JsonNode master = encryption.get("master_key");
        assertThat(master.get("kind").asText()).isEqualTo("key_file");
        assertThat(master.get("provider").asText()).contains(dir.resolve(KeyFileMasterKey.FILE).toString());

        JsonNode access = facts.get("access");
        assertThat(access.get("owner").get("type").asText()).isEqualTo("user");
        assertThat(access.get("owner").get("email").asText()).isEqualTo("ann@a.example");
        assertThat(access.get("export_and_erase").get("users")).extracting(u -> u.get("email").asText())
                .containsExactly(TenancyFixture.OWNER_A);
        assertThat(access.get("erase_only").get("users")).extracting(u -> u.get("email").asText())
                .containsExactly("admin@a.example");
        // The fixture's first key holds every scope: it may erase.
        assertThat(access.get("erase_only").get("api_keys")).isNotEmpty();
        assertThat(access.get("audit_metadata_only").get("users")).extracting(u -> u.get("email").asText())
                .containsExactly("dpo@a.example");
        assertThat(access.get("audit_metadata_only").get("api_keys")).extracting(k -> k.get("id").asText())
                .containsExactly(auditKey);
        assertThat(access.get("operators").get("can_read")).extracting(JsonNode::asText).contains("root");

        JsonNode messages = facts.get("messages");
        assertThat(messages).extracting(m -> m.get("role").asText()).containsExactly("user", "assistant");
        assertThat(messages.get(0).has("backend")).isFalse();
        JsonNode answer = messages.get(1);
        assertThat(answer.get("backend").asText()).isEqualTo("local");
        assertThat(answer.get("model").asText()).isEqualTo("stories260K");
        assertThat(answer.get("backend_location").asText()).isEqualTo(ReportingServer.PARIS.describe());
        assertThat(answer.get("configured").asBoolean()).isTrue();
        assertThat(answer.get("remote").asBoolean()).isFalse();
        assertThat(answer.get("location").get("country").asText()).isEqualTo("FR");
    }

    @Test
    void anApiKeysConversationIsUnderItsOrganizationsKey() {
        String id = answered(f.a);
        JsonNode facts = facts(f.a, id);
        assertThat(facts.get("encryption").get("data_key").get("scope").asText()).isEqualTo("organization");
        assertThat(facts.get("encryption").get("data_key").get("user_id").isNull()).isTrue();
        assertThat(facts.get("encryption").get("data_key").has("key_id")).isTrue();
        assertThat(facts.get("access").get("owner").get("type").asText()).isEqualTo("api_key");
        assertThat(facts.get("access").get("owner").get("state").asText()).isEqualTo("active");
        // The owner of the conversation is not listed again among those who may erase it.
        assertThat(facts.get("access").get("erase_only").get("api_keys")).extracting(k -> k.get("id").asText())
                .doesNotContain(facts.get("access").get("owner").get("id").asText());
    }

    @Test
    void theLibrariesItsAnswersCitedAreListedWhileTheOwnerMayReadThemAndOnlyCountedOnceUnshared() throws Exception {
        TestServer ann = f.signedIn("ann@a.example", Role.MEMBER);
        String annId = f.tenancy.users().list(f.orgA.id()).stream().filter(u -> u.email().equals("ann@a.example"))
                .findFirst().orElseThrow().id();
        TestServer bob = f.signedIn("bob@a.example", Role.MEMBER);
        String library = LibrariesTest.create(bob, "Fire safety");
        byte[] text = "The fire drill takes place every second Tuesday at ten.".getBytes(StandardCharsets.UTF_8);
        String document = LibrariesTest.upload(bob, library, "drill.txt", text).body().get("id").asText();
        assertThat(LibrariesTest.awaitProcessed(bob, library, document).get("processing_status").asText())
                .isEqualTo("Completed");
        LibrariesTest.create(bob, "Bob's own notes");
        assertThat(share(bob, "PUT", library, "{\"level\":\"Viewer\",\"share_with_type\":\"User\","
                + "\"share_with_uuid\":\"" + annId + "\"}").status()).isEqualTo(200);

        String id = ann.post("/v1/conversations", "{\"title\": \"" + SECRET_TITLE + "\"}").body().get("id").asText();
        for (int i = 0; i < 2; i++) {
            TestServer.Reply answer = ann.post("/v1/conversations/" + id + "/completions", "{\"content\": \"When is the"
                    + " fire drill?\", \"max_tokens\": 4, \"seed\": 1, \"library_ids\": [\"" + library + "\"]}");
            assertThat(answer.status()).as("%s", answer.body()).isEqualTo(200);
            assertThat(answer.body().get("references")).isNotEmpty();
        }
        ann.post("/v1/conversations/" + id + "/completions", "{\"content\": \"" + SECRET_TEXT + "\", \"max_tokens\": 4}");

        JsonNode libraries = facts(ann, id).get("libraries");
        assertThat(libraries.get("cited")).hasSize(1);
        JsonNode cited = libraries.get("cited").get(0);
        assertThat(cited.get("id").asText()).isEqualTo(library);
        assertThat(cited.get("name").asText()).isEqualTo("Fire safety");
        assertThat(cited.get("answers").asInt()).isEqualTo(2);
        assertThat(cited.get("documents").asInt()).isEqualTo(1);
        assertThat(cited.get("bytes").asLong()).isEqualTo(text.length);
        assertThat(cited.get("chunks").asLong()).isPositive();
        assertThat(cited.get("role").asText()).isEqualTo("Viewer");
        assertThat(cited.get("shared_with_organization").asText()).isEqualTo("no");
        assertThat(cited.get("shared_with_users").asInt()).isEqualTo(1);
        assertThat(libraries.get("not_readable").asInt()).isZero();
        assertThat(libraries.get("contents").get("location").asText()).contains("library_documents");
        assertThat(libraries.get("contents").get("protection").asText()).contains("AES-256-GCM");
        assertThat(libraries.get("index").get("location").asText()).isEqualTo(dir.resolve("documents")
                .resolve(f.orgA.id()).resolve("index").toAbsolutePath().normalize().toString());
        assertThat(libraries.get("index").get("protection").asText()).contains("AES-256-CTR");
        // The facts carry no passage: the document's words stay in it.
        assertThat(ann.get("/v1/conversations/" + id + "/sovereignty").raw().body()).doesNotContain("Tuesday");

        // Unshared, the library is no longer Ann's to see: counted, never named.
        assertThat(share(bob, "DELETE", library, "{\"share_with_type\":\"User\",\"share_with_uuid\":\"" + annId
                + "\"}").status()).isEqualTo(200);
        TestServer.Reply after = ann.get("/v1/conversations/" + id + "/sovereignty");
        assertThat(after.body().get("libraries").get("cited")).isEmpty();
        assertThat(after.body().get("libraries").get("not_readable").asInt()).isEqualTo(1);
        assertThat(after.raw().body()).doesNotContain("Fire safety", library, "Bob's own notes");

        // A conversation that cites nothing lists nothing.
        JsonNode none = facts(ann, answered(ann)).get("libraries");
        assertThat(none.get("cited")).isEmpty();
        assertThat(none.get("not_readable").asInt()).isZero();
    }

    private static TestServer.Reply share(TestServer as, String method, String library, String json) {
        return as.send(HttpRequest.newBuilder(as.uri("/v1/libraries/" + library + "/share"))
                .header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json))
                .build());
    }

    @Test
    void onPostgreSqlTheStoreIsTheDatabaseAndItsAdministratorsAreNamed() throws IOException {
        f.close();
        f = new TenancyFixture(TestDatabases.POSTGRESQL, dir);
        new ReportingServer(f, dir);
        JsonNode facts = facts(f.a, answered(f.a));
        assertThat(facts.get("storage").get("kind").asText()).isEqualTo("postgresql");
        assertThat(facts.get("storage").get("location").asText()).isEqualTo("PostgreSQL database " + f.database.location());
        assertThat(facts.get("access").get("operators").get("database").asText()).contains(f.database.location());
        assertThat(facts.get("messages").get(1).get("backend").asText()).isEqualTo("local");
    }

    @Test
    void onlyItsOwnerReadsThemOthersGetTheSame404AsForNone() {
        TestServer ann = f.signedIn("ann@a.example", Role.MEMBER);
        String id = answered(ann);
        TestServer admin = f.signedIn("admin@a.example", Role.ADMIN);
        TestServer.Reply other = admin.get("/v1/conversations/" + id + "/sovereignty");
        TestServer.Reply missing = admin.get("/v1/conversations/conv_none/sovereignty");
        assertThat(other.status()).isEqualTo(404);
        assertThat(TenancyFixture.error(other).get("code").asText())
                .isEqualTo(TenancyFixture.error(missing).get("code").asText());
        assertThat(f.b.get("/v1/conversations/" + id + "/sovereignty").status()).isEqualTo(404);
        // The other person's conversation, the missing one and the other organization's: each audited alike.
        assertThat(f.audit("conversations.sovereignty", "DENIED")).hasSize(3);
        assertThat(f.signedIn("dpo@a.example", Role.AUDITOR).get("/v1/conversations/" + id + "/sovereignty").status())
                .isEqualTo(403);
    }
}

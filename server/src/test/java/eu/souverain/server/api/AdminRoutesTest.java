package eu.souverain.server.api;

import static eu.souverain.server.api.TenancyFixture.PASSWORD;
import static eu.souverain.server.api.TenancyFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.store.TestDatabases;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.ApiKeys;
import eu.souverain.server.tenancy.Role;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** /v1/admin: users, keys and organizations, each change audited, each organization blind to the others. */
class AdminRoutesTest {

    @TempDir
    Path dir;

    private static TestServer.Reply patch(TestServer as, String path, String body) {
        return as.send(HttpRequest.newBuilder(as.uri(path)).header("Content-Type", "application/json")
                .method("PATCH", json(body)).build());
    }

    private static TestServer.Reply delete(TestServer as, String path) {
        return as.send(HttpRequest.newBuilder(as.uri(path)).DELETE().build());
    }

    /** Requests as a signed-in user: the session cookie and its CSRF token on every request. */
    private static TestServer session(TenancyFixture f, String email, String password) {
        TestServer.Reply login = f.login(email, password);
        assertThat(login.status()).as(login.raw().body()).isEqualTo(200);
        String cookie = TenancyFixture.cookie(login);
        String csrf = login.body().get("csrf_token").asText();
        return TestServer.signedIn(f.server, cookie, csrf);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void usersAreCreatedChangedDisabledAndDeletedWithEachChangeAudited(TestDatabases kind) {
        try (TenancyFixture f = new TenancyFixture(kind, dir)) {
            TestServer.Reply created = f.a.post("/v1/admin/users", "{\"email\":\"Ann@A.example\",\"role\":\"member\"}");
            assertThat(created.status()).as(created.raw().body()).isEqualTo(201);
            String id = created.body().get("id").asText();
            String password = created.body().get("password").asText();
            assertThat(password).matches("[0-9A-Za-z]{22}");
            assertThat(created.body().get("email").asText()).isEqualTo("ann@a.example");
            assertThat(created.body().get("organization_id").asText()).isEqualTo(f.orgA.id());
            TestServer ann = session(f, "ann@a.example", password);
            assertThat(ann.get("/v1/admin/users").status()).isEqualTo(403);

            TestServer.Reply given = f.a.post("/v1/admin/users",
                    "{\"email\":\"bob@a.example\",\"role\":\"auditor\",\"password\":\"" + PASSWORD + "\"}");
            assertThat(given.status()).isEqualTo(201);
            assertThat(given.body().has("password")).isFalse();

            JsonNode list = f.a.get("/v1/admin/users").body();
            assertThat(list.get("data")).extracting(u -> u.get("email").asText())
                    .containsExactlyInAnyOrder(TenancyFixture.OWNER_A, "ann@a.example", "bob@a.example");
            assertThat(list.toString()).doesNotContain("argon2").doesNotContain(password);
            assertThat(f.a.get("/v1/admin/users/" + id).body().get("role").asText()).isEqualTo("member");

            TestServer.Reply promoted = patch(f.a, "/v1/admin/users/" + id, "{\"role\":\"admin\"}");
            assertThat(promoted.body().get("role").asText()).isEqualTo("admin");
            assertThat(ann.get("/v1/admin/users").status()).isEqualTo(200);
            TestServer.Reply disabled = patch(f.a, "/v1/admin/users/" + id, "{\"disabled\":true}");
            assertThat(disabled.body().get("disabled").asBoolean()).isTrue();
            assertThat(ann.get("/v1/admin/users").status()).isEqualTo(401);
            assertThat(f.login("ann@a.example", password).status()).isEqualTo(401);
            patch(f.a, "/v1/admin/users/" + id, "{\"disabled\":false}");
            assertThat(f.login("ann@a.example", password).status()).isEqualTo(200);

            assertThat(delete(f.a, "/v1/admin/users/" + id).status()).isEqualTo(204);
            assertThat(f.a.get("/v1/admin/users/" + id).status()).isEqualTo(404);
            assertThat(f.login("ann@a.example", password).status()).isEqualTo(401);

            assertThat(f.audit().stream().filter(e -> "SUCCESS".equals(e.get("outcome"))
                            && f.a.apiKey.contains((String) e.get("actor")))
                    .map(e -> e.get("action") + " " + e.get("resource")))
                    .containsExactly("users.create " + id, "users.create " + given.body().get("id").asText(),
                            "users.update " + id, "users.update " + id, "users.update " + id, "users.delete " + id);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void onlyOwnersMakeOrChangeOwnersAndTheLastOwnerStays(TestDatabases kind) {
        try (TenancyFixture f = new TenancyFixture(kind, dir)) {
            // A key acts with its scopes, never as an owner.
            TestServer.Reply byKey = f.a.post("/v1/admin/users", "{\"email\":\"o2@a.example\",\"role\":\"owner\"}");
            assertThat(byKey.status()).isEqualTo(403);
            assertThat(byKey.body().get("code").asText()).isEqualTo("forbidden");
            assertThat(patch(f.a, "/v1/admin/users/" + f.ownerA, "{\"role\":\"member\"}").status()).isEqualTo(403);
            assertThat(delete(f.a, "/v1/admin/users/" + f.ownerA).status()).isEqualTo(403);
            assertThat(f.audit("access.denied", "DENIED")).hasSize(3);

            TestServer owner = session(f, TenancyFixture.OWNER_A, PASSWORD);
            TestServer.Reply last = patch(owner, "/v1/admin/users/" + f.ownerA, "{\"role\":\"admin\"}");
            assertThat(last.status()).isEqualTo(409);
            assertThat(last.body().get("message").asText()).contains("last active owner");
            assertThat(patch(owner, "/v1/admin/users/" + f.ownerA, "{\"disabled\":true}").status()).isEqualTo(409);
            assertThat(delete(owner, "/v1/admin/users/" + f.ownerA).status()).isEqualTo(409);
            TestServer.Reply second = owner.post("/v1/admin/users", "{\"email\":\"o2@a.example\",\"role\":\"owner\"}");
            assertThat(second.status()).isEqualTo(201);
            assertThat(patch(owner, "/v1/admin/users/" + f.ownerA, "{\"role\":\"admin\"}").body().get("role").asText())
                    .isEqualTo("admin");
            assertThat(f.tenancy.users().get(f.orgA.id(), f.ownerA, Actor.SYSTEM).role()).isEqualTo(Role.ADMIN);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void keysAreListedWithoutSecretsAndShownOnceAtCreation(TestDatabases kind) {
        try (TenancyFixture f = new TenancyFixture(kind, dir)) {
            TestServer.Reply created = f.a.post("/v1/admin/keys",
                    "{\"name\":\"shop\",\"scopes\":[\"embeddings\",\"chat\"],\"expires_in\":\"30d\"}");
            assertThat(created.status()).isEqualTo(201);
            String key = created.body().get("key").asText();
            String id = created.body().get("id").asText();
            assertThat(key).isEqualTo(ApiKeys.PREFIX + id + key.substring(key.lastIndexOf('_')));
            assertThat(created.body().get("scopes")).extracting(JsonNode::asText).containsExactly("chat", "embeddings");
            JsonNode listed = f.a.get("/v1/admin/keys").body().get("data");
            assertThat(listed).extracting(k -> k.get("id").asText()).contains(id);
            assertThat(listed.toString()).doesNotContain(key.substring(key.lastIndexOf('_') + 1));
            assertThat(listed).allSatisfy(k -> assertThat(k.has("key")).isFalse());
            JsonNode one = f.a.get("/v1/admin/keys/" + id).body();
            assertThat(one.get("name").asText()).isEqualTo("shop");
            assertThat(one.has("key")).isFalse();
            assertThat(f.audit("keys.create", "SUCCESS")).extracting(e -> e.get("resource")).contains(id);
            assertThat(delete(f.a, "/v1/admin/keys/" + id).body().get("revoked_at").isNull()).isFalse();
            assertThat(f.audit("keys.revoke", "SUCCESS")).extracting(e -> e.get("resource")).containsExactly(id);
        }
    }

    /**
     * Every route that takes an id, from organization A at organization B's resources: the same
     * 404 as for an id that exists nowhere, an audited DENIED, and nothing changed in B.
     */
    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void idsOfAnotherOrganizationAreAnsweredAsMissingAndAudited(TestDatabases kind) {
        try (TenancyFixture f = new TenancyFixture(kind, dir)) {
            String keyB = f.b.apiKey.substring(ApiKeys.PREFIX.length(), f.b.apiKey.lastIndexOf('_'));
            String missingUser = "usr_00000000000000000";
            String missingKey = "key_00000000000000000";
            String missingOrg = "org_00000000000000000";
            TestServer owner = session(f, TenancyFixture.OWNER_A, PASSWORD);
            record Attempt(String action, TestServer.Reply theirs, TestServer.Reply missing) {
            }
            List<Attempt> attempts = List.of(
                    new Attempt("users.read", f.a.get("/v1/admin/users/" + f.ownerB), f.a.get("/v1/admin/users/" + missingUser)),
                    new Attempt("users.update", patch(f.a, "/v1/admin/users/" + f.ownerB, "{\"role\":\"member\"}"),
                            patch(f.a, "/v1/admin/users/" + missingUser, "{\"role\":\"member\"}")),
                    new Attempt("users.update", patch(owner, "/v1/admin/users/" + f.ownerB, "{\"disabled\":true}"),
                            patch(owner, "/v1/admin/users/" + missingUser, "{\"disabled\":true}")),
                    new Attempt("users.delete", delete(owner, "/v1/admin/users/" + f.ownerB),
                            delete(owner, "/v1/admin/users/" + missingUser)),
                    new Attempt("keys.read", f.a.get("/v1/admin/keys/" + keyB), f.a.get("/v1/admin/keys/" + missingKey)),
                    new Attempt("keys.revoke", delete(f.a, "/v1/admin/keys/" + keyB), delete(f.a, "/v1/admin/keys/" + missingKey)),
                    new Attempt("orgs.read", f.a.get("/v1/admin/organizations/" + f.orgB.id()),
                            f.a.get("/v1/admin/organizations/" + missingOrg)),
                    // B, the other way round, at the installation's organization.
                    new Attempt("orgs.read", f.b.get("/v1/admin/organizations/" + f.orgA.id()),
                            f.b.get("/v1/admin/organizations/" + missingOrg)),
                    new Attempt("users.read", f.b.get("/v1/admin/users/" + f.ownerA), f.b.get("/v1/admin/users/" + missingUser)));
            for (Attempt attempt : attempts) {
                assertThat(attempt.theirs().status()).as(attempt.action()).isEqualTo(404);
                assertThat(attempt.missing().status()).isEqualTo(404);
                String theirs = attempt.theirs().raw().body();
                String missing = attempt.missing().raw().body();
                // Identical but for the id each names.
                assertThat(theirs.replaceAll("(usr|key|org)_[0-9A-Za-z]{17}", "ID"))
                        .isEqualTo(missing.replaceAll("(usr|key|org)_[0-9A-Za-z]{17}", "ID"));
            }
            // Each attempt audited alike, the other organization's id and the missing one: the same work for both.
            List<Map<String, Object>> denied = f.audit().stream().filter(e -> "DENIED".equals(e.get("outcome"))).toList();
            assertThat(denied).extracting(e -> e.get("action")).containsExactlyElementsOf(
                    attempts.stream().flatMap(a -> java.util.stream.Stream.of(a.action(), a.action())).toList());
            assertThat(denied.subList(0, 14)).allSatisfy(e -> assertThat(e.get("organization_id")).isEqualTo(f.orgA.id()));
            assertThat(denied.subList(14, 18)).allSatisfy(e -> assertThat(e.get("organization_id")).isEqualTo(f.orgB.id()));
            assertThat(denied).extracting(e -> e.get("resource")).containsExactly(f.ownerB, missingUser, f.ownerB,
                    missingUser, f.ownerB, missingUser, f.ownerB, missingUser, keyB, missingKey, keyB, missingKey,
                    f.orgB.id(), missingOrg, f.orgA.id(), missingOrg, f.ownerA, missingUser);

            // Nothing of B's changed, and B's lists show nothing of A's.
            assertThat(f.tenancy.users().get(f.orgB.id(), f.ownerB, Actor.SYSTEM)).satisfies(u -> {
                assertThat(u.role()).isEqualTo(Role.OWNER);
                assertThat(u.disabled()).isFalse();
            });
            assertThat(f.b.get("/v1/admin/keys").status()).isEqualTo(200);
            assertThat(f.b.get("/v1/admin/users").body().get("data")).extracting(u -> u.get("email").asText())
                    .containsExactly(TenancyFixture.OWNER_B);
            assertThat(f.b.get("/v1/admin/keys").body().toString()).doesNotContain(f.orgA.id());
            assertThat(f.b.get("/v1/admin/organizations").body().get("data")).extracting(o -> o.get("id").asText())
                    .containsExactly(f.orgB.id());
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void onlyAnInstallationOwnerCreatesOrganizations(TestDatabases kind) {
        try (TenancyFixture f = new TenancyFixture(kind, dir)) {
            String body = "{\"name\":\"Gamma\",\"owner_email\":\"owner@c.example\"}";
            TestServer ownerB = session(f, TenancyFixture.OWNER_B, PASSWORD);
            assertThat(ownerB.post("/v1/admin/organizations", body).status()).isEqualTo(403);
            assertThat(f.a.post("/v1/admin/organizations", body).status()).isEqualTo(403);
            assertThat(f.count("SELECT count(*) FROM organizations")).isEqualTo(2);

            TestServer ownerA = session(f, TenancyFixture.OWNER_A, PASSWORD);
            TestServer.Reply created = ownerA.post("/v1/admin/organizations", body);
            assertThat(created.status()).as(created.raw().body()).isEqualTo(201);
            assertThat(created.body().get("name").asText()).isEqualTo("Gamma");
            JsonNode owner = created.body().get("owner");
            assertThat(owner.get("role").asText()).isEqualTo("owner");
            assertThat(f.login("owner@c.example", owner.get("password").asText()).status()).isEqualTo(200);
            assertThat(ownerA.get("/v1/admin/organizations").body().get("data")).extracting(o -> o.get("name").asText())
                    .containsExactlyInAnyOrder("Alpha", "Beta", "Gamma");
            assertThat(ownerA.get("/v1/admin/organizations/" + f.orgB.id()).status()).isEqualTo(200);
            assertThat(ownerA.post("/v1/admin/organizations", body).status()).isEqualTo(409);
            assertThat(f.audit("orgs.create", "SUCCESS")).extracting(e -> e.get("resource"))
                    .contains(created.body().get("id").asText());
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void anAuditorReadsButNeitherChangesNorUsesTheModels(TestDatabases kind) {
        try (TenancyFixture f = new TenancyFixture(kind, dir)) {
            f.tenancy.users().create(f.orgA.id(), "audit@a.example", Role.AUDITOR, PASSWORD, Actor.SYSTEM, true);
            TestServer auditor = session(f, "audit@a.example", PASSWORD);
            assertThat(auditor.get("/v1/admin/users").status()).isEqualTo(200);
            assertThat(auditor.get("/v1/admin/keys").status()).isEqualTo(200);
            assertThat(auditor.post("/v1/admin/keys", "{\"scopes\":[\"chat\"]}").status()).isEqualTo(403);
            assertThat(auditor.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                    .status()).isEqualTo(403);
            assertThat(auditor.post("/v1/embeddings", "{\"input\":\"Hi\"}").status()).isEqualTo(403);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void badInputIsRefusedClearlyAndChangesNothing(TestDatabases kind) {
        try (TenancyFixture f = new TenancyFixture(kind, dir)) {
            int users = f.count("SELECT count(*) FROM users");
            int keys = f.count("SELECT count(*) FROM api_keys");
            int audit = f.count("SELECT count(*) FROM audit_entries");
            Object[][] refused = {
                    {"/v1/admin/users", "{\"email\":", 400, "invalid_json"},
                    {"/v1/admin/users", "\"x\"", 422, "invalid_type"},
                    {"/v1/admin/users", "{\"email\":\"c@a.example\",\"role\":\"member\",\"admin\":true}", 422, "unknown_field"},
                    {"/v1/admin/users", "{\"email\":[\"c@a.example\"],\"role\":\"member\"}", 422, "invalid_type"},
                    {"/v1/admin/users", "{\"role\":\"member\"}", 422, "missing_field"},
                    {"/v1/admin/users", "{\"email\":\"c@a.example\",\"role\":\"root\"}", 400, "invalid_value"},
                    {"/v1/admin/users", "{\"email\":\"not an address\",\"role\":\"member\"}", 400, "invalid_value"},
                    {"/v1/admin/users", "{\"email\":\"c@a.example\",\"role\":\"member\",\"password\":\"short\"}", 400,
                            "invalid_value"},
                    {"/v1/admin/users", "{\"email\":\"" + "c".repeat(300) + "@a.example\",\"role\":\"member\"}", 400,
                            "invalid_value"},
                    {"/v1/admin/users", "{\"email\":\"" + TenancyFixture.OWNER_B + "\",\"role\":\"member\"}", 409, "conflict"},
                    {"/v1/admin/users", "{\"email\":\"c@a.example\",\"role\":\"member\",\"password\":\""
                            + "p".repeat(17_000) + "\"}", 413, "request_too_large"},
                    {"/v1/admin/keys", "{\"scopes\":[]}", 400, "invalid_value"},
                    {"/v1/admin/keys", "{\"scopes\":\"chat\"}", 422, "invalid_type"},
                    {"/v1/admin/keys", "{\"scopes\":[\"chat\",\"root\"]}", 400, "invalid_value"},
                    {"/v1/admin/keys", "{\"scopes\":[\"chat\"],\"expires_in\":\"-1d\"}", 400, "invalid_value"},
                    {"/v1/admin/keys", "{\"scopes\":[\"chat\"],\"expires_in\":30}", 422, "invalid_type"},
                    {"/v1/admin/keys", "{\"scopes\":[\"chat\"],\"name\":\"tab\\there\"}", 400, "invalid_value"},
                    {"/v1/admin/keys", "{\"scopes\":[\"chat\"],\"name\":\"" + "n".repeat(101) + "\"}", 400, "invalid_value"},
            };
            for (Object[] c : refused) {
                TestServer.Reply reply = f.a.post((String) c[0], (String) c[1]);
                assertThat(reply.status()).as("%s %s: %s", c[0], c[1], reply.raw().body()).isEqualTo(c[2]);
                assertThat(reply.body().get("code").asText()).as("%s", c[1]).isEqualTo(c[3]);
                assertThat(reply.body().get("message").asText()).isNotBlank();
            }
            assertThat(patch(f.a, "/v1/admin/users/" + f.ownerA, "{\"disabled\":\"yes\"}").status()).isEqualTo(422);
            assertThat(f.count("SELECT count(*) FROM users")).isEqualTo(users);
            assertThat(f.count("SELECT count(*) FROM api_keys")).isEqualTo(keys);
            assertThat(f.count("SELECT count(*) FROM audit_entries")).isEqualTo(audit);

            // SQL metacharacters are data: stored and answered exactly as given.
            String email = "o'brien\";drop_table_users;--@a.example";
            TestServer.Reply odd = f.a.post("/v1/admin/users", "{\"email\":\"o'brien\\\";drop_table_users;--@a.example\","
                    + "\"role\":\"member\"}");
            assertThat(odd.status()).as(odd.raw().body()).isEqualTo(201);
            assertThat(f.a.get("/v1/admin/users/" + odd.body().get("id").asText()).body().get("email").asText())
                    .isEqualTo(email);
            String name = "Robert'); DROP TABLE api_keys; --";
            TestServer.Reply key = f.a.post("/v1/admin/keys", "{\"scopes\":[\"chat\"],\"name\":\"" + name + "\"}");
            assertThat(key.body().get("name").asText()).isEqualTo(name);
            assertThat(f.count("SELECT count(*) FROM users")).isEqualTo(users + 1);
            assertThat(f.a.get("/v1/admin/users/x'%20OR%20'1'='1").status()).isEqualTo(404);
            assertThat(f.tenancy.keys().list(f.orgA.id())).hasSize(keys);
        }
    }
}

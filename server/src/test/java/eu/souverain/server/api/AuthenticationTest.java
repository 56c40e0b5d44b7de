package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import eu.souverain.server.backends.LocalBackend;
import eu.souverain.server.store.TestDatabases;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.ApiKeys;
import eu.souverain.server.tenancy.Scope;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every /v1 request authenticates with an API key and is held to its scopes, on both databases. */
class AuthenticationTest {

    private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":2}";
    private static final String COMPLETION = "{\"prompt\":\"Once\",\"max_tokens\":2}";
    private static final String EMBED = "{\"input\":\"Once\"}";

    @TempDir
    Path dir;

    private static TenancyFixture serving(TestDatabases kind, Path dir) throws IOException {
        TenancyFixture fixture = new TenancyFixture(kind, dir);
        fixture.server.serve(TestServices.of(fixture.server, fixture.tenancy, fixture.database, dir, fixture.clock,
                LocalBackend.load(Map.of("stories260K", TestServer.BUNDLED_MODEL), 0, 1, 4)));
        return fixture;
    }

    private static void assertUnauthorized(TestServer.Reply reply, String message) {
        assertThat(reply.status()).isEqualTo(401);
        assertThat(reply.header("WWW-Authenticate")).isEqualTo("Bearer");
        assertThat(reply.body().get("object").asText()).isEqualTo("error");
        assertThat(reply.body().get("code").asText()).isEqualTo("invalid_api_key");
        assertThat(TenancyFixture.error(reply).get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(TenancyFixture.error(reply).get("message").asText()).contains(message);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void missingMalformedUnknownAndWrongKeysAre401(TestDatabases kind) throws IOException {
        try (TenancyFixture f = serving(kind, dir)) {
            assertUnauthorized(f.anonymous(f.request("/v1/models").build()), "Authorization: Bearer");
            assertUnauthorized(f.anonymous(f.request("/v1/chat/completions").POST(TenancyFixture.json(CHAT)).build()),
                    "Authorization: Bearer");
            assertUnauthorized(f.anonymous(f.request("/v1/models").header("Authorization", "Basic b3duZXI6cHc=").build()),
                    "'Bearer <API key>'");
            assertUnauthorized(f.anonymous(f.request("/v1/models").header("Authorization", "Bearer nope").build()),
                    "begin with 'sk-souv-'");
            String valid = f.a.apiKey;
            String id = valid.substring(ApiKeys.PREFIX.length(), valid.lastIndexOf('_'));
            String wrongSecret = valid.substring(0, valid.lastIndexOf('_') + 1) + "0".repeat(43);
            String unknownId = ApiKeys.PREFIX + "key_00000000000000000" + valid.substring(valid.lastIndexOf('_'));
            for (String key : new String[] {wrongSecret, unknownId, ApiKeys.PREFIX + "key_", valid + "x"}) {
                TestServer.Reply reply = f.anonymous(f.request("/v1/models").header("Authorization", "Bearer " + key).build());
                assertUnauthorized(reply, "invalid API key");
                assertThat(reply.raw().body()).doesNotContain(id.substring(4));
            }
            assertThat(f.audit("auth.key", "FAILURE")).isEmpty();
            // Unknown routes under /v1 answer 401 too: without a key nothing is told about what exists.
            assertThat(f.anonymous(f.request("/v1/no/such/route").build()).status()).isEqualTo(401);
            assertThat(f.a.get("/v1/models").status()).isEqualTo(200);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void eachRouteNeedsItsScopeAndTheModelsListAnyKey(TestDatabases kind) throws IOException {
        try (TenancyFixture f = serving(kind, dir)) {
            TestServer chat = f.withScopes(Scope.CHAT);
            TestServer embeddings = f.withScopes(Scope.EMBEDDINGS);
            TestServer audit = f.withScopes(Scope.AUDIT);
            assertThat(chat.post("/v1/chat/completions", CHAT).status()).isEqualTo(200);
            assertThat(chat.post("/v1/completions", COMPLETION).status()).isEqualTo(200);
            assertForbidden(chat.post("/v1/embeddings", EMBED), "'embeddings'");
            assertThat(embeddings.post("/v1/embeddings", EMBED).status()).isEqualTo(200);
            assertForbidden(embeddings.post("/v1/chat/completions", CHAT), "'chat'");
            assertForbidden(embeddings.post("/v1/completions", COMPLETION), "'chat'");
            for (TestServer any : new TestServer[] {chat, embeddings, audit}) {
                assertThat(any.get("/v1/models").status()).isEqualTo(200);
                assertThat(any.get("/v1/models/stories260K").status()).isEqualTo(200);
            }
            assertForbidden(audit.post("/v1/chat/completions", CHAT), "'chat'");
            assertForbidden(chat.get("/v1/admin/users"), "'admin' or 'audit'");
            assertThat(audit.get("/v1/admin/users").status()).isEqualTo(200);
            assertForbidden(audit.post("/v1/admin/keys", "{\"scopes\":[\"chat\"]}"), "'admin'");
            assertThat(f.tenancy.keys().list(f.orgA.id())).hasSize(4);
            // Each refusal is audited, by key, route and address.
            assertThat(f.audit("access.denied", "DENIED")).hasSize(6)
                    .allSatisfy(e -> assertThat(e.get("client_ip")).isEqualTo("127.0.0.1"))
                    .anySatisfy(e -> assertThat(e.get("resource")).isEqualTo("POST /v1/embeddings"));
        }
    }

    private static void assertForbidden(TestServer.Reply reply, String scope) {
        assertThat(reply.status()).as(reply.raw().body()).isEqualTo(403);
        assertThat(reply.body().get("code").asText()).isEqualTo("insufficient_scope");
        assertThat(reply.body().get("message").asText()).contains(scope);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aRevokedKeyFailsOnItsNextRequest(TestDatabases kind) throws IOException {
        try (TenancyFixture f = serving(kind, dir)) {
            TestServer.Reply created = f.a.post("/v1/admin/keys", "{\"name\":\"ci\",\"scopes\":[\"chat\"]}");
            assertThat(created.status()).isEqualTo(201);
            TestServer ci = new TestServer(f.server, created.body().get("key").asText());
            assertThat(ci.post("/v1/chat/completions", CHAT).status()).isEqualTo(200);
            String id = created.body().get("id").asText();
            TestServer.Reply revoked = f.a.send(f.request("/v1/admin/keys/" + id).DELETE().build());
            assertThat(revoked.status()).isEqualTo(200);
            assertThat(revoked.body().get("revoked_at").asLong()).isEqualTo(f.clock.instant().getEpochSecond());
            assertUnauthorized(ci.post("/v1/chat/completions", CHAT), "API key " + id + " was revoked");
            assertThat(f.audit("auth.key", "FAILURE")).singleElement().satisfies(e -> {
                assertThat(e.get("actor")).isEqualTo(id);
                assertThat(e.get("organization_id")).isEqualTo(f.orgA.id());
                assertThat(e.get("client_ip")).isEqualTo("127.0.0.1");
            });

            // The command line's revocation, on the store itself, holds as soon for the running server.
            TestServer other = f.withScopes(Scope.CHAT);
            assertThat(other.get("/v1/models").status()).isEqualTo(200);
            String otherId = other.apiKey.substring(ApiKeys.PREFIX.length(), other.apiKey.lastIndexOf('_'));
            f.tenancy.keys().revoke(otherId, Actor.commandLine());
            assertUnauthorized(other.get("/v1/models"), "was revoked");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aKeyStopsAtItsExpiry(TestDatabases kind) throws IOException {
        try (TenancyFixture f = serving(kind, dir)) {
            TestServer.Reply created = f.a.post("/v1/admin/keys", "{\"scopes\":[\"chat\"],\"expires_in\":\"2h\"}");
            assertThat(created.status()).isEqualTo(201);
            assertThat(created.body().get("expires_at").asLong())
                    .isEqualTo(f.clock.instant().plus(Duration.ofHours(2)).getEpochSecond());
            TestServer shortLived = new TestServer(f.server, created.body().get("key").asText());
            f.clock.advance(Duration.ofHours(2).minusSeconds(1));
            assertThat(shortLived.get("/v1/models").status()).isEqualTo(200);
            f.clock.advance(Duration.ofSeconds(1));
            assertUnauthorized(shortLived.get("/v1/models"), "expired at");
            assertThat(f.audit("auth.key", "FAILURE")).hasSize(1);
            assertThat(f.a.get("/v1/models").status()).isEqualTo(200);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void lastUseIsRecordedToTheMinute(TestDatabases kind) throws IOException {
        try (TenancyFixture f = serving(kind, dir)) {
            TestServer key = f.withScopes(Scope.CHAT);
            String id = key.apiKey.substring(ApiKeys.PREFIX.length(), key.apiKey.lastIndexOf('_'));
            assertThat(f.tenancy.keys().get(f.orgA.id(), id, Actor.SYSTEM).lastUsedAt()).isNull();
            long first = f.clock.instant().toEpochMilli();
            key.get("/v1/models");
            f.clock.advance(Duration.ofSeconds(59));
            key.get("/v1/models");
            assertThat(f.tenancy.keys().get(f.orgA.id(), id, Actor.SYSTEM).lastUsedAt().toEpochMilli()).isEqualTo(first);
            f.clock.advance(Duration.ofSeconds(1));
            key.get("/v1/models");
            assertThat(f.tenancy.keys().get(f.orgA.id(), id, Actor.SYSTEM).lastUsedAt().toEpochMilli())
                    .isEqualTo(first + 60_000);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void healthAndReadyAreOpenAndMetricsNeedTheInstallationsAuditScope(TestDatabases kind) throws Exception {
        try (TenancyFixture f = serving(kind, dir)) {
            assertThat(f.anonymous(f.request("/health").build()).status()).isEqualTo(200);
            assertThat(f.anonymous(f.request("/ready").build()).status()).isEqualTo(200);
            assertUnauthorized(f.anonymous(f.request("/metrics").build()), "Authorization: Bearer");
            assertThat(f.withScopes(Scope.CHAT).get("/metrics").status()).isEqualTo(403);
            // Organization B's key has the audit scope, but the metrics count every organization's requests.
            assertThat(f.b.get("/metrics").status()).isEqualTo(403);
            TestServer audit = f.withScopes(Scope.AUDIT);
            java.net.http.HttpResponse<String> metrics = audit.client.send(f.request("/metrics")
                            .header("Authorization", "Bearer " + audit.apiKey).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("souverain_http_requests_total");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void theSecretIsNeverStored(TestDatabases kind) throws IOException {
        try (TenancyFixture f = serving(kind, dir)) {
            String key = f.key(f.orgA, Set.of(Scope.CHAT));
            String secret = key.substring(key.lastIndexOf('_') + 1);
            String stored = f.database.jdbi().withHandle(h -> h.createQuery("SELECT * FROM api_keys").mapToMap().list())
                    .toString();
            assertThat(stored).doesNotContain(secret).contains(key.substring(ApiKeys.PREFIX.length(), key.lastIndexOf('_')));
        }
    }
}

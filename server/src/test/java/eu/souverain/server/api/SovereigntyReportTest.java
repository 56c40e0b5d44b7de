package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.audit.AuditCheckpoints;
import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.audit.CheckpointSigner;
import eu.souverain.server.audit.WebhookSink;
import eu.souverain.server.backends.BackendLocation;
import eu.souverain.server.backends.Backends;
import eu.souverain.server.backends.LocalBackend;
import eu.souverain.server.backends.RemoteBackend;
import eu.souverain.server.catalogue.CatalogueStore;
import eu.souverain.server.limits.Metering;
import eu.souverain.server.privacy.Privacy;
import eu.souverain.server.privacy.Redactions;
import eu.souverain.server.provenance.ProvenanceSigner;
import eu.souverain.server.sovereignty.Residency;
import eu.souverain.server.sovereignty.SovereigntyReport;
import eu.souverain.server.store.Database;
import eu.souverain.server.store.TestDatabases;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.ApiKey;
import eu.souverain.server.tenancy.Role;
import eu.souverain.server.tenancy.Scope;
import eu.souverain.server.vault.KeyFileMasterKey;
import eu.souverain.server.vault.Vault;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GET /v1/sovereignty/report on a real server over a real store, key file, signed checkpoints and
 * backends: each fact in it changes when the system does, and only those allowed read it.
 */
class SovereigntyReportTest {

    private static final String REMOTE_URL = "http://127.0.0.1:9/v1";
    private static final String WEBHOOK = "http://127.0.0.1:9/siem";

    @TempDir
    Path dir;

    private Path data;
    private TenancyFixture f;
    private AuditLog audit;
    private AuditCheckpoints checkpoints;

    @BeforeEach
    void start() throws IOException {
        data = dir.resolve("data");
        Files.createDirectories(data);
        f = new TenancyFixture(TestDatabases.SQLITE, data);
        audit = new AuditLog(f.database, f.clock);
        Vault vault = new Vault(f.database, KeyFileMasterKey.open(data.resolve(KeyFileMasterKey.FILE)), audit, f.clock);
        vault.encrypt(f.orgA.id(), null, "msg_1", "hello".getBytes(StandardCharsets.UTF_8));
        checkpoints = new AuditCheckpoints(f.database, CheckpointSigner.open(data.resolve(CheckpointSigner.FILE)), List.of(),
                f.clock);
        checkpoints.checkpoint();
        BackendLocation paris = new BackendLocation("souverain", "Alpha IT", "FR", "paris-1", null, List.of("ISO 27001"));
        RemoteBackend remote = new RemoteBackend(new RemoteBackend.Config("us-remote", RemoteBackend.Kind.OPENAI_COMPATIBLE,
                URI.create(REMOTE_URL), null, Map.of("big", "big-model"),
                new BackendLocation("vllm", "Far Cloud", "US", null, null, List.of()), Duration.ofSeconds(5)));
        Backends backends = Backends.of(LocalBackend.load(Map.of("stories260K", TestServer.BUNDLED_MODEL), 0, 1, 4, paris),
                List.of(remote));
        Redactions redactions = new Redactions(f.database, audit, f.clock);
        f.server.serve(new ApiServer.Services(backends, new Residency(f.database, audit, f.clock),
                Privacy.open(f.database, vault, audit, f.clock), redactions,
                new SovereigntyReport(new SovereigntyReport.Installation(f.database, data, vault,
                        SovereigntyReport.auditKey(data), List.of(new WebhookSink(URI.create(WEBHOOK))),
                        backends.all().stream().map(SovereigntyReport.DeclaredBackend::of).toList(),
                        Map.of("stories260K", TestServer.BUNDLED_MODEL), "http://127.0.0.1:" + f.server.port() + "/v1"),
                        f.tenancy, redactions, f.clock),
                new Metering(f.database, audit, f.clock), ProvenanceSigner.open(data.resolve(ProvenanceSigner.FILE)),
                new CatalogueStore(f.database, audit, vault, f.clock),
                TestServices.documents(f.database, vault, audit, f.clock, data)));
    }

    @AfterEach
    void stop() {
        f.close();
    }

    private static JsonNode report(TestServer as) {
        TestServer.Reply reply = as.get("/v1/sovereignty/report");
        assertThat(reply.status()).as("%s", reply.body()).isEqualTo(200);
        return reply.body();
    }



    private static JsonNode named(JsonNode array, String field, String value) {
        for (JsonNode entry : array) {
            if (entry.path(field).asText().equals(value)) {
                return entry;
            }
        }
        return null;
    }

    @Test
    void whereTheDataIsComesFromTheRunningSystem() throws IOException {
        JsonNode r = report(f.a);
        JsonNode where = r.get("where");
        assertThat(where.get("data_directory").asText()).isEqualTo(data.toAbsolutePath().normalize().toString());
        assertThat(named(where.get("data"), "category", "conversations and messages").get("location").asText())
                .isEqualTo("SQLite file " + data.resolve(Database.SQLITE_FILE).toAbsolutePath());
        JsonNode keys = named(where.get("data"), "category", "keys");
        assertThat(keys.get("master_key").asText()).contains(data.resolve(KeyFileMasterKey.FILE).toString());
        assertThat(keys.get("audit_signing_key").asText()).contains(CheckpointSigner.FILE);
        JsonNode model = named(where.get("data"), "category", "model files").get("files").get(0);
        assertThat(model.get("bytes").asLong()).isEqualTo(Files.size(TestServer.BUNDLED_MODEL));
        assertThat(named(where.get("data"), "category", "operational logs").get("destinations").get(0).asText())
                .startsWith("console (System.err)");
        assertThat(where.get("local_engine").get("country").asText()).isEqualTo("FR");
        assertThat(where.get("local_engine").get("region").asText()).isEqualTo("paris-1");
        assertThat(where.get("local_engine").get("operator").asText()).isEqualTo("Alpha IT");

        JsonNode remote = named(r.get("backends"), "name", "us-remote");
        assertThat(remote.get("base_url").asText()).isEqualTo(REMOTE_URL);
        assertThat(remote.get("location").get("jurisdiction").asText()).isEqualTo("US");
        assertThat(remote.get("last_30_days").get("used").asBoolean()).isFalse();

        JsonNode security = r.get("security");
        assertThat(security.get("encryption").get("algorithm").asText()).contains("AES-256-GCM");
        assertThat(security.get("encryption").get("data_keys").get("live").asInt()).isEqualTo(1);
        assertThat(security.get("encryption").get("last_rotation").asText()).isEqualTo("never rotated");
        assertThat(security.get("tls").get("enabled").asBoolean()).isFalse();
        assertThat(security.get("tls").get("status").asText()).contains("plain HTTP");
        assertThat(security.get("audit").get("chain_intact").asBoolean()).isTrue();
        assertThat(security.get("audit").get("last_signed_checkpoint").get("entry_count").asLong()).isPositive();
        assertThat(security.get("retention").get("organizations").get(0).get("status").asText()).startsWith("not configured");
        assertThat(security.get("redaction").get(0).get("enabled").asBoolean()).isFalse();
        List<String> outbound = new ArrayList<>();
        security.get("outbound_connections").forEach(c -> outbound.add(c.get("url").asText()));
        assertThat(outbound).containsExactlyInAnyOrder(REMOTE_URL, WEBHOOK);
    }

    @Test
    void usersKeysAndSettingsShowAsTheyChange() {
        assertThat(named(report(f.a).get("access").get("users"), "email", "new@a.example")).isNull();
        f.tenancy.users().create(f.orgA.id(), "new@a.example", Role.AUDITOR, TenancyFixture.PASSWORD, Actor.SYSTEM, true);
        JsonNode user = named(report(f.a).get("access").get("users"), "email", "new@a.example");
        assertThat(user.get("role").asText()).isEqualTo("auditor");
        assertThat(user.get("last_sign_in_at").isNull()).isTrue();
        f.signedIn("new@a.example");
        assertThat(named(report(f.a).get("access").get("users"), "email", "new@a.example").get("last_sign_in_at").asText())
                .isEqualTo(f.clock.instant().toString());

        ApiKey key = f.tenancy.keys().create(f.orgA.id(), "ci", java.util.Set.of(Scope.CHAT), null, Actor.SYSTEM).key();
        assertThat(named(report(f.a).get("access").get("api_keys"), "id", key.id()).get("state").asText()).isEqualTo("active");
        f.tenancy.keys().revoke(key.id(), Actor.SYSTEM);
        JsonNode revoked = named(report(f.a).get("access").get("api_keys"), "id", key.id());
        assertThat(revoked.get("state").asText()).isEqualTo("revoked");
        assertThat(revoked.get("scopes").toString()).isEqualTo("[\"chat\"]");

        assertThat(f.a.send(HttpRequest.newBuilder(f.a.uri("/v1/admin/redaction")).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"enabled\":true,\"kinds\":[\"iban\"]}")).build()).status())
                .isEqualTo(200);
        JsonNode redaction = report(f.a).get("security").get("redaction").get(0);
        assertThat(redaction.get("enabled").asBoolean()).isTrue();
        assertThat(redaction.get("kinds").toString()).isEqualTo("[\"iban\"]");
    }

    @Test
    void aTamperedAuditLogIsReportedBrokenAtItsEntry() {
        f.database.jdbi().useHandle(h -> h.execute("UPDATE audit_entries SET resource = 'rewritten' WHERE seq = 3"));
        JsonNode audit = report(f.a).get("security").get("audit");
        assertThat(audit.get("chain_intact").asBoolean()).isFalse();
        assertThat(audit.get("first_broken_entry").asLong()).isEqualTo(3);
        assertThat(audit.get("reason").asText()).contains("entry 3");
    }

    @Test
    void operatorAccessFollowsTheDataDirectoryPermissions() throws IOException {
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
        JsonNode closed = report(f.a).get("access").get("operators");
        assertThat(closed.get("permissions").asText()).isEqualTo("rwx------");
        assertThat(closed.get("every_account").asBoolean()).isFalse();
        List<String> readers = new ArrayList<>();
        closed.get("can_read").forEach(n -> readers.add(n.asText()));
        assertThat(readers).containsExactlyInAnyOrderElementsOf(new java.util.LinkedHashSet<>(
                List.of("root", Files.getOwner(data).getName())));

        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        JsonNode open = report(f.a).get("access").get("operators");
        assertThat(open.get("permissions").asText()).isEqualTo("rwxr-xr-x");
        assertThat(open.get("every_account").asBoolean()).isTrue();
    }

    @Test
    void backendUseIsCountedFromTheAuditLogPerOrganization() {
        // Organization B's default policy keeps it on the local engine: its call to the US remote is refused, and audited.
        assertThat(f.b.post("{\"model\":\"big\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").status())
                .isEqualTo(403);
        // A call that reached the remote, as the gateway records it.
        audit.append(new AuditEvent(f.orgA.id(), "key_x", "model.call", "big", "us-remote", "US (US), operator Far Cloud",
                "127.0.0.1", AuditEvent.Outcome.SUCCESS));
        audit.append(new AuditEvent(f.orgA.id(), "key_x", "model.call", "big", "us-remote", "US (US), operator Far Cloud",
                "127.0.0.1", AuditEvent.Outcome.FAILURE));

        JsonNode all = named(report(signedInOwnerA()).get("backends"), "name", "us-remote").get("last_30_days");
        assertThat(all.get("used").asBoolean()).isTrue();
        assertThat(all.get("requests").asLong()).isEqualTo(2);
        assertThat(all.get("refused").asLong()).isEqualTo(1);
        JsonNode a = named(all.get("by_organization"), "organization_id", f.orgA.id());
        assertThat(a.get("requests").asLong()).isEqualTo(2);
        assertThat(a.get("failed").asLong()).isEqualTo(1);
        assertThat(named(all.get("by_organization"), "organization_id", f.orgB.id()).get("refused").asLong()).isEqualTo(1);

        JsonNode seenByB = named(report(f.b).get("backends"), "name", "us-remote").get("last_30_days");
        assertThat(seenByB.get("requests").asLong()).isZero();
        assertThat(seenByB.get("by_organization")).hasSize(1);

        f.clock.advance(Duration.ofDays(31));
        assertThat(named(report(signedInOwnerA()).get("backends"), "name", "us-remote").get("last_30_days").get("used")
                .asBoolean()).isFalse();
    }

    private TestServer signedInOwnerA() {
        return f.signedIn(TenancyFixture.OWNER_A);
    }

    @Test
    void ownersAdminsAndAuditorsReadItMembersDoNot() {
        assertThat(f.signedIn("auditor@a.example", Role.AUDITOR).get("/v1/sovereignty/report").status()).isEqualTo(200);
        assertThat(f.signedIn("admin@a.example", Role.ADMIN).get("/v1/sovereignty/report").status()).isEqualTo(200);
        assertThat(f.signedIn("member@a.example", Role.MEMBER).get("/v1/sovereignty/report").status()).isEqualTo(403);
        assertThat(f.withScopes(Scope.AUDIT).get("/v1/sovereignty/report").status()).isEqualTo(200);
        assertThat(f.withScopes(Scope.CHAT, Scope.EMBEDDINGS).get("/v1/sovereignty/report").status()).isEqualTo(403);
        assertThat(f.audit("access.denied", "DENIED")).anySatisfy(e ->
                assertThat(e.get("resource")).isEqualTo("GET /v1/sovereignty/report"));
    }

    @Test
    void eachOrganizationSeesItsOwnUnlessItIsTheInstallationOwner() {
        JsonNode b = report(f.b);
        assertThat(b.get("scope").get("all_organizations").asBoolean()).isFalse();
        assertThat(b.get("access").get("users")).allSatisfy(u -> assertThat(u.get("organization_id").asText()).isEqualTo(f.orgB.id()));
        assertThat(named(b.get("access").get("users"), "email", TenancyFixture.OWNER_B)).isNotNull();
        assertThat(b.toString()).doesNotContain(TenancyFixture.OWNER_A, f.orgA.id());
        assertThat(b.get("security").get("encryption").get("data_keys").get("live").asInt()).isZero();

        JsonNode all = report(signedInOwnerA());
        assertThat(all.get("scope").get("all_organizations").asBoolean()).isTrue();
        assertThat(named(all.get("access").get("users"), "email", TenancyFixture.OWNER_B)).isNotNull();
        assertThat(named(all.get("access").get("users"), "email", TenancyFixture.OWNER_A)).isNotNull();

        // Organization A's first key acts for the installation's organization, but is not an owner.
        assertThat(report(f.a).get("scope").get("all_organizations").asBoolean()).isFalse();
    }
}

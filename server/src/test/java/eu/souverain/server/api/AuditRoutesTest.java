package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.store.TestDatabases;
import eu.souverain.server.tenancy.Role;
import eu.souverain.server.tenancy.Scope;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** GET /v1/audit/entries and POST /v1/audit/verify on a real server over a real store and signing key. */
class AuditRoutesTest {

    @TempDir
    Path dir;

    private TenancyFixture f;
    private ReportingServer serving;

    private void start(TestDatabases kind) throws IOException {
        f = new TenancyFixture(kind, dir);
        serving = new ReportingServer(f, dir);
    }

    @AfterEach
    void stop() {
        if (f != null) {
            f.close();
        }
    }


    private static List<Long> seqs(JsonNode page) {
        List<Long> seqs = new ArrayList<>();
        page.get("data").forEach(e -> seqs.add(e.get("seq").asLong()));
        return seqs;
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void entriesComeNewestFirstInPagesWithTheirHashesAsStored(TestDatabases kind) throws IOException {
        start(kind);
        for (int i = 0; i < 7; i++) {
            f.tenancy.audit().append(AuditEvent.of(f.orgA.id(), "usr_test", "test.event", "r" + i, "127.0.0.1",
                    AuditEvent.Outcome.SUCCESS));
        }
        List<Map<String, Object>> stored = f.database.jdbi().withHandle(h -> h.createQuery(
                "SELECT seq, hash, previous_hash FROM audit_entries WHERE organization_id = :org ORDER BY seq DESC")
                .bind("org", f.orgA.id()).mapToMap().list());

        JsonNode first = f.a.get("/v1/audit/entries?limit=3").body();
        assertThat(first.get("object").asText()).isEqualTo("list");
        assertThat(seqs(first)).containsExactly(((Number) stored.get(0).get("seq")).longValue(),
                ((Number) stored.get(1).get("seq")).longValue(), ((Number) stored.get(2).get("seq")).longValue());
        assertThat(first.get("has_more").asBoolean()).isTrue();
        JsonNode newest = first.get("data").get(0);
        assertThat(newest.get("hash").asText()).isEqualTo(stored.get(0).get("hash"));
        assertThat(newest.get("previous_hash").asText()).isEqualTo(stored.get(0).get("previous_hash"));
        assertThat(newest.get("action").asText()).isEqualTo("test.event");
        assertThat(newest.get("resource").asText()).isEqualTo("r6");
        assertThat(newest.get("actor").asText()).isEqualTo("usr_test");
        assertThat(newest.get("outcome").asText()).isEqualTo("SUCCESS");
        assertThat(newest.get("time").asText()).isEqualTo(f.clock.instant().toString());

        long next = first.get("next_before").asLong();
        assertThat(next).isEqualTo(seqs(first).getLast());
        JsonNode second = f.a.get("/v1/audit/entries?limit=3&before=" + next).body();
        assertThat(seqs(second)).allMatch(seq -> seq < next).hasSize(3);
        assertThat(seqs(second).getFirst()).isEqualTo(((Number) stored.get(3).get("seq")).longValue());

        List<Long> all = new ArrayList<>();
        String path = "/v1/audit/entries?limit=4";
        while (true) {
            JsonNode page = f.a.get(path).body();
            all.addAll(seqs(page));
            if (!page.get("has_more").asBoolean()) {
                assertThat(page.get("next_before").isNull()).isTrue();
                break;
            }
            path = "/v1/audit/entries?limit=4&before=" + page.get("next_before").asLong();
        }
        assertThat(all).hasSize(f.count("SELECT COUNT(*) FROM audit_entries WHERE organization_id = '" + f.orgA.id()
                + "' OR organization_id IS NULL")).isSortedAccordingTo((x, y) -> Long.compare(y, x));
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void eachOrganizationSeesItsOwnAndTheInstallationsOrganizationAlsoTheInstallationWide(TestDatabases kind)
            throws IOException {
        start(kind);
        f.tenancy.audit().append(AuditEvent.of(null, "system", "vault.rotate", "file:1", null, AuditEvent.Outcome.SUCCESS));
        f.tenancy.audit().append(AuditEvent.of(f.orgB.id(), "usr_b", "test.b", null, null, AuditEvent.Outcome.SUCCESS));

        JsonNode a = f.a.get("/v1/audit/entries?limit=500").body();
        assertThat(a.get("data")).extracting(e -> e.get("organization_id").isNull() ? null : e.get("organization_id").asText())
                .contains((String) null).containsOnly(f.orgA.id(), null);
        assertThat(a.get("data")).extracting(e -> e.get("action").asText()).contains("vault.rotate").doesNotContain("test.b");

        JsonNode b = f.b.get("/v1/audit/entries?limit=500").body();
        assertThat(b.get("data")).isNotEmpty()
                .allMatch(e -> e.get("organization_id").asText().equals(f.orgB.id()));
        assertThat(b.get("data")).extracting(e -> e.get("action").asText()).contains("test.b").doesNotContain("vault.rotate");
    }

    @Test
    void ownersAdminsAndAuditorsReadTheLogMembersAndChatKeysDoNot() throws IOException {
        start(TestDatabases.SQLITE);
        assertThat(f.signedIn("auditor@a.example", Role.AUDITOR).get("/v1/audit/entries").status()).isEqualTo(200);
        assertThat(f.signedIn("admin@a.example", Role.ADMIN).get("/v1/audit/entries").status()).isEqualTo(200);
        TestServer member = f.signedIn("member@a.example", Role.MEMBER);
        TestServer.Reply refused = member.get("/v1/audit/entries");
        assertThat(refused.status()).isEqualTo(403);
        assertThat(TenancyFixture.error(refused).get("code").asText()).isEqualTo("insufficient_scope");
        assertThat(member.post("/v1/audit/verify", "").status()).isEqualTo(403);
        assertThat(f.withScopes(Scope.CHAT).get("/v1/audit/entries").status()).isEqualTo(403);
        assertThat(f.withScopes(Scope.AUDIT).get("/v1/audit/entries").status()).isEqualTo(200);
        assertThat(f.audit("access.denied", "DENIED")).extracting(e -> e.get("resource"))
                .contains("GET /v1/audit/entries", "POST /v1/audit/verify");
    }

    @Test
    void aBadLimitOrBeforeIsRefusedNamingIt() throws IOException {
        start(TestDatabases.SQLITE);
        for (String query : List.of("limit=0", "limit=501", "limit=ten", "before=0", "before=x1")) {
            TestServer.Reply reply = f.a.get("/v1/audit/entries?" + query);
            assertThat(reply.status()).as(query).isEqualTo(400);
            assertThat(TenancyFixture.error(reply).get("param").asText()).isEqualTo(query.substring(0, query.indexOf('=')));
        }
    }

    @Test
    void verifyingAnIntactChainSaysSoAndAppendsNothing() throws IOException {
        start(TestDatabases.SQLITE);
        serving.checkpoints.checkpoint();
        int entries = f.count("SELECT COUNT(*) FROM audit_entries");
        TestServer.Reply reply = f.signedIn("auditor@a.example", Role.AUDITOR).post("/v1/audit/verify", "");
        assertThat(reply.status()).as("%s", reply.body()).isEqualTo(200);
        JsonNode v = reply.body();
        assertThat(v.get("object").asText()).isEqualTo("audit.verification");
        assertThat(v.get("chain_intact").asBoolean()).isTrue();
        assertThat(v.get("first_broken_entry").isNull()).isTrue();
        assertThat(v.get("reason").isNull()).isTrue();
        assertThat(v.get("checkpoints_checked").asInt()).isEqualTo(1);
        int now = f.count("SELECT COUNT(*) FROM audit_entries");
        // The auditor's creation and sign-in are the two entries since; the verification itself adds none.
        assertThat(v.get("entries_checked").asLong()).isEqualTo(now);
        assertThat(now).isEqualTo(entries + 2);
        assertThat(v.get("last_signed_checkpoint").get("entry_count").asLong()).isEqualTo(entries);
    }

    @Test
    void verifyingATamperedChainNamesTheFirstBrokenEntry() throws IOException {
        start(TestDatabases.SQLITE);
        serving.checkpoints.checkpoint();
        f.database.jdbi().useHandle(h -> h.execute("UPDATE audit_entries SET actor = 'someone else' WHERE seq = 3"));
        JsonNode v = f.a.post("/v1/audit/verify", "").body();
        assertThat(v.get("chain_intact").asBoolean()).isFalse();
        assertThat(v.get("first_broken_entry").asLong()).isEqualTo(3);
        assertThat(v.get("entries_checked").asLong()).isEqualTo(2);
        assertThat(v.get("reason").asText()).contains("entry 3 was altered");
    }
}

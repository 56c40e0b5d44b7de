package eu.souverain.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import eu.souverain.server.audit.AuditEvent.Outcome;
import eu.souverain.server.audit.AuditVerifier.Verification;
import eu.souverain.server.store.Database;
import eu.souverain.server.store.TestDatabases;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Tampering done directly in the database, as an operator with SQL access could, and what verify says. */
class AuditVerifierTest {

    @TempDir
    Path dir;

    private record Log(Database db, AuditLog log, CheckpointSigner signer, FileSink sink, AuditCheckpoints checkpoints,
                       AuditVerifier verifier) implements AutoCloseable {
        Verification verify() {
            return verifier.verify(List.of());
        }

        void sql(String statement) {
            db.useTransaction(h -> h.execute(statement));
        }

        @Override
        public void close() {
            db.close();
        }
    }

    /** Eight entries, checkpointed after the fourth and after the eighth, to the database and a sink file. */
    private Log log(TestDatabases kind) throws Exception {
        Database db = kind.open(dir);
        AuditLog log = new AuditLog(db, Clock.systemUTC());
        CheckpointSigner signer = CheckpointSigner.open(dir.resolve(CheckpointSigner.FILE));
        FileSink sink = new FileSink(dir.resolve("other-volume").resolve("checkpoints.jsonl"));
        AuditCheckpoints checkpoints = new AuditCheckpoints(db, signer, List.of(sink), Clock.systemUTC());
        for (int i = 1; i <= 8; i++) {
            log.append(new AuditEvent(i % 3 == 0 ? null : "org_a", "key_" + i, "model.call", "chat/" + i,
                    i % 2 == 0 ? "local" : null, i % 2 == 0 ? "FR/paris/acme" : null, "10.0.0." + i,
                    i == 5 ? Outcome.DENIED : Outcome.SUCCESS));
            if (i == 4 || i == 8) {
                assertThat(checkpoints.checkpoint()).isPresent();
            }
        }
        return new Log(db, log, signer, sink, checkpoints,
                new AuditVerifier(db, CheckpointSigner.verifier(signer.publicKeyset())));
    }

    private static void assertBroken(Verification v, long seq, String why) {
        assertThat(v.ok()).as("%s", v).isFalse();
        assertThat(v.firstBrokenSeq()).as("%s", v).isEqualTo(seq);
        assertThat(v.reason()).contains(why);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void anIntactLogVerifies(TestDatabases kind) throws Exception {
        try (Log l = log(kind)) {
            Verification v = l.verifier().verify(l.sink().read());
            assertThat(v.ok()).as("%s", v).isTrue();
            assertThat(v.entriesChecked()).isEqualTo(8);
            assertThat(v.checkpointsChecked()).isEqualTo(2);
            assertThat(v.firstBrokenSeq()).isNull();
            assertThat(v.lastCheckpoint().entryCount()).isEqualTo(8);
            assertThat(l.sink().read()).isEqualTo(l.checkpoints().stored());
            // Nothing moved: no new checkpoint.
            assertThat(l.checkpoints().checkpoint()).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void editingAnyFieldOfARowIsCaughtAtThatRow(TestDatabases kind) throws Exception {
        try (Log l = log(kind)) {
            Map<String, String> edits = new java.util.LinkedHashMap<>();
            edits.put("at", "at + 1");
            edits.put("organization_id", "'org_b'");
            edits.put("actor", "'key_innocent'");
            edits.put("action", "'model.list'");
            edits.put("resource", "NULL");
            edits.put("backend", "'remote'");
            edits.put("backend_location", "'US/virginia'");
            edits.put("client_ip", "'192.0.2.1'");
            edits.put("outcome", "'SUCCESS'");
            edits.put("previous_hash", "'" + AuditLog.GENESIS + "'");
            edits.put("hash", "'" + "f".repeat(64) + "'");
            for (var edit : edits.entrySet()) {
                String column = edit.getKey();
                Object original = l.db().jdbi().withHandle(h -> h.createQuery("SELECT " + column
                        + " FROM audit_entries WHERE seq = 5").map((rs, ctx) -> rs.getObject(1)).one());
                l.sql("UPDATE audit_entries SET " + column + " = " + edit.getValue() + " WHERE seq = 5");
                Verification v = l.verify();
                assertThat(v.firstBrokenSeq()).as("edited %s: %s", column, v).isEqualTo(5);
                assertThat(v.entriesChecked()).isEqualTo(4);
                l.db().useTransaction(h -> h.createUpdate("UPDATE audit_entries SET " + column + " = :v WHERE seq = 5")
                        .bind("v", original).execute());
                assertThat(l.verify().ok()).as("restored %s", column).isTrue();
            }
            l.sql("UPDATE audit_entries SET seq = 500 WHERE seq = 5");
            assertBroken(l.verify(), 5, "entry 5 is missing");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void deletingARowIsCaughtAtThatRow(TestDatabases kind) throws Exception {
        try (Log l = log(kind)) {
            l.sql("DELETE FROM audit_entries WHERE seq = 6");
            assertBroken(l.verify(), 6, "entry 6 is missing");
            l.sql("DELETE FROM audit_entries WHERE seq = 1");
            assertBroken(l.verify(), 1, "entry 1 is missing");
        }
    }

    /**
     * An entry slipped in as number 3, hashed correctly onto entry 2, the later ones renumbered: the
     * chain breaks at the entry after it, which no longer follows.
     */
    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void insertingARowIsCaught(TestDatabases kind) throws Exception {
        try (Log l = log(kind)) {
            l.sql("UPDATE audit_entries SET seq = -seq WHERE seq >= 3");
            l.sql("UPDATE audit_entries SET seq = 1 - seq WHERE seq < 0");
            String previous = l.db().jdbi().withHandle(h -> h.createQuery("SELECT hash FROM audit_entries WHERE seq = 2")
                    .mapTo(String.class).one());
            AuditEvent forged = AuditEvent.of("org_a", "key_9", "keys.create", "key_backdoor", null, Outcome.SUCCESS);
            l.db().useTransaction(h -> insert(h, 3, 1000, forged, previous));
            assertBroken(l.verify(), 4, "entry 4 does not follow entry 3");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void swappingTwoRowsContentsIsCaughtAtTheFirst(TestDatabases kind) throws Exception {
        try (Log l = log(kind)) {
            String columns = "at, organization_id, actor, action, resource, backend, backend_location, client_ip, outcome,"
                    + " previous_hash, hash";
            l.sql("CREATE TABLE swap AS SELECT seq, " + columns + " FROM audit_entries WHERE seq IN (3, 4)");
            StringBuilder set = new StringBuilder();
            for (String c : columns.split(", ")) {
                set.append(set.isEmpty() ? "" : ", ").append(c).append(" = (SELECT ").append(c)
                        .append(" FROM swap WHERE swap.seq = 7 - audit_entries.seq)");
            }
            l.sql("UPDATE audit_entries SET " + set + " WHERE seq IN (3, 4)");
            assertBroken(l.verify(), 3, "entry 3 does not follow entry 2");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void truncatingTheTailIsCaughtByTheLastCheckpointEvenWithoutTheCheckpointsTable(TestDatabases kind) throws Exception {
        try (Log l = log(kind)) {
            l.sql("DELETE FROM audit_entries WHERE seq > 6");
            assertBroken(l.verify(), 7, "truncated");
            assertThat(l.verify().reason()).contains("covers 8 entries, only 6 are present");

            l.sql("DELETE FROM audit_checkpoints");
            assertThat(l.verify().ok()).as("the database alone cannot tell").isTrue();
            Verification withSink = l.verifier().verify(l.sink().read());
            assertBroken(withSink, 7, "truncated");
            assertThat(withSink.lastCheckpoint().entryCount()).isEqualTo(8);
        }
    }

    /** Someone edits entry 6 and recomputes every hash after it: the chain holds, the signed head does not. */
    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aChainRewrittenWholeContradictsTheCheckpoint(TestDatabases kind) throws Exception {
        try (Log l = log(kind)) {
            List<AuditEntry> entries = new java.util.ArrayList<>();
            l.db().jdbi().useHandle(h -> AuditEntry.forEach(h, 0, null, entries::add));
            l.sql("DELETE FROM audit_entries WHERE seq >= 6");
            String previous = entries.get(4).hash();
            for (AuditEntry e : entries.subList(5, 8)) {
                AuditEvent event = new AuditEvent(e.organizationId(), e.seq() == 6 ? "key_innocent" : e.actor(), e.action(),
                        e.resource(), e.backend(), e.backendLocation(), e.clientIp(), Outcome.valueOf(e.outcome()));
                String p = previous;
                l.db().useTransaction(h -> insert(h, e.seq(), e.at(), event, p));
                previous = AuditLog.hash(e.seq(), e.at(), event, p);
            }
            Verification v = l.verify();
            assertBroken(v, 5, "the entries after 4 up to 8 were rewritten");
            assertThat(v.entriesChecked()).isEqualTo(8);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aForgedCheckpointIsCaught(TestDatabases kind) throws Exception {
        try (Log l = log(kind)) {
            // Signed, but by a key the verifier does not trust.
            Checkpoint forged = CheckpointSigner.open(dir.resolve("attacker.json")).sign(8,
                    l.checkpoints().stored().getLast().headHash(), System.currentTimeMillis() + 1000);
            Verification v = l.verifier().verify(List.of(forged));
            assertThat(v.ok()).isFalse();
            assertThat(v.reason()).contains("signature that does not verify").contains(forged.keyId());
            assertThat(v.firstBrokenSeq()).isNull();

            // A genuine signature over other numbers: the count lowered to hide a truncation.
            l.sql("UPDATE audit_checkpoints SET entry_count = 6 WHERE entry_count = 8");
            assertThat(l.verify().reason()).contains("checkpoint of 6 entries").contains("does not verify");
        }
    }

    private static void insert(Handle h, long seq, long at, AuditEvent e, String previous) {
        h.createUpdate("""
                        INSERT INTO audit_entries (seq, at, organization_id, actor, action, resource, backend,
                            backend_location, client_ip, outcome, previous_hash, hash)
                        VALUES (:seq, :at, :org, :actor, :action, :resource, :backend, :location, :ip, :outcome,
                            :previous, :hash)""")
                .bind("seq", seq).bind("at", at).bind("org", e.organizationId()).bind("actor", e.actor())
                .bind("action", e.action()).bind("resource", e.resource()).bind("backend", e.backend())
                .bind("location", e.backendLocation()).bind("ip", e.clientIp()).bind("outcome", e.outcome().name())
                .bind("previous", previous).bind("hash", AuditLog.hash(seq, at, e, previous))
                .execute();
    }
}

package eu.souverain.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.server.audit.AuditCheckpoints;
import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.audit.AuditEvent.Outcome;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.audit.CheckpointSigner;
import eu.souverain.server.audit.FileSink;
import eu.souverain.server.store.Database;
import eu.souverain.server.vault.KeyFileMasterKey;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code souverain audit ...} and {@code souverain vault ...} on a data directory, in process. */
class AuditCommandTest {

    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    private Path data() {
        return dir.resolve("data");
    }

    private Path sink() {
        return dir.resolve("other-volume/checkpoints.jsonl");
    }

    /** Six entries, two organizations, one of them on 2026-01-02; checkpointed at 4 and at 6. */
    private void writeLog() throws Exception {
        Instant[] times = {Instant.parse("2026-01-01T10:00:00Z"), Instant.parse("2026-01-02T10:00:00Z")};
        int[] at = {0};
        Clock clock = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return times[at[0]];
            }
        };
        try (Database db = Database.sqlite(data().resolve(Database.SQLITE_FILE))) {
            AuditLog log = new AuditLog(db, clock);
            AuditCheckpoints checkpoints = new AuditCheckpoints(db, CheckpointSigner.open(data().resolve(CheckpointSigner.FILE)),
                    List.of(new FileSink(sink())), Clock.systemUTC());
            for (int i = 1; i <= 6; i++) {
                at[0] = i <= 3 ? 0 : 1;
                log.append(AuditEvent.of(i % 2 == 0 ? "org_b" : "org_a", "key_" + i, "model.call", "chat", "10.0.0.1",
                        Outcome.SUCCESS));
                if (i == 4 || i == 6) {
                    checkpoints.checkpoint();
                }
            }
        }
    }

    private void sql(String statement) throws Exception {
        try (Database db = Database.sqlite(data().resolve(Database.SQLITE_FILE))) {
            db.useTransaction(h -> h.execute(statement));
        }
    }

    @Test
    void verifySaysOkOnAnIntactLogAndNamesTheFirstBrokenEntryOtherwise() throws Exception {
        writeLog();
        Run ok = run("audit", "verify", "--data", data().toString(), "--sink", "file:" + sink());
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(ok.out()).startsWith("OK: 6 entries, chain intact; 2 signed checkpoints").contains("for 6 entries");

        sql("UPDATE audit_entries SET actor = 'key_other' WHERE seq = 3");
        Run broken = run("audit", "verify", "--data", data().toString());
        assertThat(broken.exit()).isEqualTo(1);
        assertThat(broken.out()).startsWith("BROKEN at entry 3: entry 3 was altered").contains("2 entries intact before it");
    }

    @Test
    void verifyWithTheSinkCatchesATruncatedTailWhoseCheckpointsWereDeletedToo() throws Exception {
        writeLog();
        sql("DELETE FROM audit_entries WHERE seq > 4");
        sql("DELETE FROM audit_checkpoints");
        assertThat(run("audit", "verify", "--data", data().toString()).exit()).isZero();
        Run caught = run("audit", "verify", "--data", data().toString(), "--sink", "file:" + sink());
        assertThat(caught.exit()).isEqualTo(1);
        assertThat(caught.out()).startsWith("BROKEN at entry 5: entries 5 to 6 are missing");

        Run webhook = run("audit", "verify", "--data", data().toString(), "--sink", "https://siem.example/in");
        assertThat(webhook.exit()).isEqualTo(1);
        assertThat(webhook.err()).contains("cannot be read back");
    }

    @Test
    void verifyWithAnExportedPublicKeyAndWithAnotherOne() throws Exception {
        writeLog();
        Run key = run("audit", "public-key", "--data", data().toString());
        assertThat(key.exit()).isZero();
        Path exported = Files.writeString(dir.resolve("audit.pub.json"), key.out());
        assertThat(run("audit", "verify", "--data", data().toString(), "--public-key", exported.toString()).exit()).isZero();

        Path other = Files.writeString(dir.resolve("other.pub.json"),
                CheckpointSigner.open(dir.resolve("other.json")).publicKeyset());
        Run wrongKey = run("audit", "verify", "--data", data().toString(), "--public-key", other.toString());
        assertThat(wrongKey.exit()).isEqualTo(1);
        assertThat(wrongKey.out()).contains("signature that does not verify");
    }

    @Test
    void exportWritesJsonLinesFilteredBySinceAndOrganization() throws Exception {
        writeLog();
        ObjectMapper json = new ObjectMapper();
        Run all = run("audit", "export", "--data", data().toString());
        assertThat(all.exit()).as(all.err()).isZero();
        List<String> lines = all.out().lines().toList();
        assertThat(lines).hasSize(6);
        JsonNode first = json.readTree(lines.getFirst());
        assertThat(first.get("seq").asLong()).isEqualTo(1);
        assertThat(first.get("time").asText()).isEqualTo("2026-01-01T10:00:00Z");
        assertThat(first.get("organization_id").asText()).isEqualTo("org_a");
        assertThat(first.get("hash").asText()).hasSize(64);

        Run filtered = run("audit", "export", "--data", data().toString(), "--since", "2026-01-02", "--org", "org_b");
        assertThat(filtered.out().lines().map(l -> {
            try {
                return json.readTree(l).get("seq").asLong();
            } catch (Exception e) {
                throw new AssertionError(l, e);
            }
        }).toList()).containsExactly(4L, 6L);
        assertThat(run("audit", "export", "--data", data().toString(), "--since", "2026-01-02T10:00:01Z").out()
                .lines()).isEmpty();

        Run bad = run("audit", "export", "--data", data().toString(), "--since", "yesterday");
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("--since 'yesterday' is not a date");
    }

    @Test
    void vaultStatusAndRotateOnTheDataDirectory() throws Exception {
        Run status = run("vault", "status", "--data", data().toString());
        assertThat(status.exit()).as(status.err()).isZero();
        JsonNode before = new ObjectMapper().readTree(status.out());
        assertThat(before.get("algorithm").asText()).contains("AES-256-GCM");
        assertThat(before.get("provider").asText()).contains(KeyFileMasterKey.FILE);
        Run rotate = run("vault", "rotate", "--data", data().toString(), "--retire-older");
        assertThat(rotate.exit()).as(rotate.err()).isZero();
        assertThat(rotate.out()).contains("0 data keys re-wrapped").contains("older master key versions destroyed");
        JsonNode after = new ObjectMapper().readTree(run("vault", "status", "--data", data().toString()).out());
        assertThat(after.get("current_master_key").asText()).isNotEqualTo(before.get("current_master_key").asText());
        assertThat(after.get("master_keys")).hasSize(2);
        for (JsonNode version : after.get("master_keys")) {
            boolean current = version.get("id").asText().equals(after.get("current_master_key").asText());
            assertThat(version.get("retired_at").isNull()).as("%s", version).isEqualTo(current);
        }
        assertThat(status.out() + rotate.out()).doesNotContain("\"value\"");
    }

    @Test
    void serveRefusesToStartWithAMasterKeyFileOthersCanRead() throws Exception {
        Path key = data().resolve(KeyFileMasterKey.FILE);
        KeyFileMasterKey.open(key);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        Run serve = run("serve", "--data", data().toString(), "--port", "0");
        assertThat(serve.exit()).isEqualTo(1);
        assertThat(serve.err()).contains(key.toAbsolutePath().toString()).contains("chmod 600");

        Run badSink = run("serve", "--data", data().toString(), "--audit-sink", "s3://bucket");
        assertThat(badSink.exit()).isEqualTo(1);
        assertThat(badSink.err()).contains("--audit-sink must be file:/PATH");
        Run badInterval = run("serve", "--data", data().toString(), "--audit-checkpoint-interval", "often");
        assertThat(badInterval.exit()).isEqualTo(2);
        assertThat(badInterval.err()).contains("'often' is not a duration");
    }
}

package eu.souverain.server.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import eu.souverain.server.audit.AuditEvent.Outcome;
import eu.souverain.server.store.Database;
import eu.souverain.server.store.TestDatabases;
import eu.souverain.server.store.SecretFileException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditCheckpointsTest {

    @TempDir
    Path dir;

    /** A webhook receiver on loopback: keeps each POSTed checkpoint, or answers {@code status} when it is not 200. */
    private static final class Receiver implements AutoCloseable {
        final List<Checkpoint> received = new CopyOnWriteArrayList<>();
        final AtomicInteger status = new AtomicInteger(200);
        final HttpServer server;

        Receiver() throws Exception {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/siem/checkpoints", exchange -> {
                try (exchange) {
                    byte[] body = exchange.getRequestBody().readAllBytes();
                    if (status.get() == 200 && exchange.getRequestMethod().equals("POST")
                            && "application/json".equals(exchange.getRequestHeaders().getFirst("Content-Type"))) {
                        received.add(Checkpoint.fromJson(new ObjectMapper().readTree(body)));
                    }
                    exchange.sendResponseHeaders(status.get(), -1);
                }
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/siem/checkpoints?token=s3cret";
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    @Test
    void eachCheckpointGoesToTheDatabaseTheFileAndTheWebhookOnlyWhenTheLogMoved() throws Exception {
        try (Database db = TestDatabases.SQLITE.open(dir); Receiver siem = new Receiver()) {
            AuditLog log = new AuditLog(db, Clock.systemUTC());
            CheckpointSigner signer = CheckpointSigner.open(dir.resolve(CheckpointSigner.FILE));
            FileSink file = (FileSink) CheckpointSink.parse("file:" + dir.resolve("audit/checkpoints.jsonl"));
            CheckpointSink webhook = CheckpointSink.parse(siem.url());
            assertThat(webhook.describe()).doesNotContain("s3cret");
            AuditCheckpoints checkpoints = new AuditCheckpoints(db, signer, List.of(file, webhook), Clock.systemUTC());

            Checkpoint empty = checkpoints.checkpoint().orElseThrow();
            assertThat(empty.entryCount()).isZero();
            assertThat(empty.headHash()).isEqualTo(AuditLog.GENESIS);
            assertThat(checkpoints.checkpoint()).isEmpty();

            log.append(AuditEvent.of("org_a", "key_1", "model.call", "chat", "127.0.0.1", Outcome.SUCCESS));
            String head = db.jdbi().withHandle(h -> h.createQuery("SELECT hash FROM audit_entries").mapTo(String.class).one());
            Checkpoint one = checkpoints.checkpoint().orElseThrow();
            assertThat(one.entryCount()).isEqualTo(1);
            assertThat(one.headHash()).isEqualTo(head);
            assertThat(one.keyId()).isEqualTo(signer.keyId());

            assertThat(checkpoints.stored()).containsExactly(empty, one);
            assertThat(file.read()).containsExactly(empty, one);
            assertThat(siem.received).containsExactly(empty, one);

            // The SIEM is down: the checkpoint still reaches the database and the file.
            siem.status.set(503);
            log.append(AuditEvent.of("org_a", "key_1", "model.call", "chat", "127.0.0.1", Outcome.SUCCESS));
            Checkpoint two = checkpoints.checkpoint().orElseThrow();
            assertThat(file.read()).containsExactly(empty, one, two);
            assertThat(siem.received).containsExactly(empty, one);

            AuditVerifier verifier = new AuditVerifier(db, CheckpointSigner.verifier(signer.publicKeyset()));
            assertThat(verifier.verify(siem.received).ok()).isTrue();
        }
    }

    @Test
    void theScheduleCheckpointsAtItsIntervalAndCloseWritesTheLastOne() throws Exception {
        try (Database db = TestDatabases.SQLITE.open(dir)) {
            AuditLog log = new AuditLog(db, Clock.systemUTC());
            FileSink file = new FileSink(dir.resolve("checkpoints.jsonl"));
            AuditCheckpoints checkpoints = new AuditCheckpoints(db, CheckpointSigner.open(dir.resolve(CheckpointSigner.FILE)),
                    List.of(file), Clock.systemUTC());
            assertThatThrownBy(() -> checkpoints.start(Duration.ZERO)).hasMessageContaining("positive");
            checkpoints.start(Duration.ofMillis(20));
            log.append(AuditEvent.of("org_a", "key_1", "model.call", null, null, Outcome.SUCCESS));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (checkpoints.stored().stream().noneMatch(c -> c.entryCount() == 1) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(checkpoints.stored()).extracting(Checkpoint::entryCount).contains(1L);
            log.append(AuditEvent.of("org_a", "key_1", "model.call", null, null, Outcome.SUCCESS));
            log.append(AuditEvent.of("org_a", "key_1", "model.call", null, null, Outcome.SUCCESS));
            checkpoints.close();
            assertThat(checkpoints.stored().getLast().entryCount()).isEqualTo(3);
            assertThat(file.read().getLast()).isEqualTo(checkpoints.stored().getLast());
        }
    }

    @Test
    void theSigningKeyIsOwnerOnlyAndRefusedOtherwiseAndItsPublicPartVerifies() throws Exception {
        Path file = dir.resolve(CheckpointSigner.FILE);
        CheckpointSigner signer = CheckpointSigner.open(file);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        String publicKeyset = signer.publicKeyset();
        assertThat(publicKeyset).contains("ASYMMETRIC_PUBLIC").doesNotContain("ASYMMETRIC_PRIVATE");
        Checkpoint c = CheckpointSigner.open(file).sign(3, "ab".repeat(32), 1_700_000_000_000L);
        CheckpointSigner.verifier(publicKeyset).verify(java.util.Base64.getDecoder().decode(c.signature()), c.signedBytes());

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw----"));
        assertThatThrownBy(() -> CheckpointSigner.open(file)).isInstanceOf(SecretFileException.class)
                .hasMessageContaining(file.toAbsolutePath().toString()).hasMessageContaining("rw-rw----");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(file, "not a keyset");
        assertThatThrownBy(() -> CheckpointSigner.open(file)).hasMessageContaining(file.toAbsolutePath().toString())
                .hasMessageContaining("corrupt");
    }

    @Test
    void sinkSpecsAreFileOrHttpAndAnythingElseIsNamed() {
        assertThat(CheckpointSink.parse("file:/mnt/audit/c.jsonl")).isEqualTo(new FileSink(Path.of("/mnt/audit/c.jsonl")));
        assertThat(CheckpointSink.parse("https://siem.example/in")).isInstanceOf(WebhookSink.class);
        assertThatThrownBy(() -> CheckpointSink.parse("ftp://x")).hasMessageContaining("'ftp://x'");
        assertThatThrownBy(() -> CheckpointSink.parse("file:")).hasMessageContaining("needs a path");
    }
}

package eu.souverain.server.audit;

import eu.souverain.server.store.Database;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes signed checkpoints of the audit log: into the database and to every sink outside it, at
 * an interval while the server runs and once more when it stops. A checkpoint is written only
 * when the log has moved since the last one.
 */
public final class AuditCheckpoints implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AuditCheckpoints.class);

    private final Database database;
    private final CheckpointSigner signer;
    private final List<CheckpointSink> sinks;
    private final Clock clock;
    private ScheduledExecutorService schedule;

    public AuditCheckpoints(Database database, CheckpointSigner signer, List<CheckpointSink> sinks, Clock clock) {
        this.database = database;
        this.signer = signer;
        this.sinks = List.copyOf(sinks);
        this.clock = clock;
    }

    /**
     * Signs the log's current state and stores it, unless the last checkpoint already says the
     * same; then appends it to each sink. A sink that fails is logged and does not stop the others:
     * the next checkpoint covers everything this one did.
     */
    public synchronized Optional<Checkpoint> checkpoint() {
        Optional<Checkpoint> written = database.inTransaction(handle -> {
            Head head = head(handle);
            Optional<Checkpoint> last = handle.createQuery("SELECT * FROM audit_checkpoints ORDER BY at DESC LIMIT 1")
                    .map(AuditCheckpoints::fromRow).findOne();
            if (last.isPresent() && last.get().entryCount() == head.count() && last.get().headHash().equals(head.hash())) {
                return Optional.empty();
            }
            Checkpoint checkpoint = signer.sign(head.count(), head.hash(), Math.max(clock.millis(),
                    last.map(Checkpoint::at).orElse(0L) + 1));
            handle.createUpdate("""
                            INSERT INTO audit_checkpoints (entry_count, head_hash, at, key_id, signature)
                            VALUES (:count, :head, :at, :key, :signature)""")
                    .bind("count", checkpoint.entryCount()).bind("head", checkpoint.headHash()).bind("at", checkpoint.at())
                    .bind("key", checkpoint.keyId()).bind("signature", checkpoint.signature()).execute();
            return Optional.of(checkpoint);
        });
        written.ifPresent(checkpoint -> {
            for (CheckpointSink sink : sinks) {
                try {
                    sink.append(checkpoint);
                } catch (IOException | RuntimeException e) {
                    LOG.warn("audit checkpoint of {} entries not written to {}: {}", checkpoint.entryCount(),
                            sink.describe(), e.getMessage());
                }
            }
        });
        return written;
    }

    /** Checkpoints every {@code interval} until {@link #close()}, which writes the last one. */
    public synchronized void start(Duration interval) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("the audit checkpoint interval must be positive, was " + interval);
        }
        schedule = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("audit-checkpoints")
                .daemon(true).factory());
        schedule.scheduleWithFixedDelay(() -> {
            try {
                checkpoint();
            } catch (RuntimeException e) {
                LOG.warn("audit checkpoint failed: {}", e.getMessage());
            }
        }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Every checkpoint stored in the database, oldest first. */
    public List<Checkpoint> stored() {
        return database.jdbi().withHandle(AuditCheckpoints::stored);
    }

    static List<Checkpoint> stored(Handle handle) {
        return handle.createQuery("SELECT * FROM audit_checkpoints ORDER BY at, entry_count")
                .map(AuditCheckpoints::fromRow).list();
    }

    private static Checkpoint fromRow(java.sql.ResultSet rs, org.jdbi.v3.core.statement.StatementContext ctx)
            throws java.sql.SQLException {
        return new Checkpoint(rs.getLong("entry_count"), rs.getString("head_hash"), rs.getLong("at"),
                rs.getString("key_id"), rs.getString("signature"));
    }

    private record Head(long count, String hash) {
    }

    /** Sequence numbers run 1, 2, 3...: the last one is the count. */
    private static Head head(Handle handle) {
        return handle.createQuery("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1")
                .map((rs, ctx) -> new Head(rs.getLong("seq"), rs.getString("hash")))
                .findOne().orElse(new Head(0, AuditLog.GENESIS));
    }

    /** Stops the schedule and writes the final checkpoint. */
    @Override
    public void close() {
        ScheduledExecutorService running;
        synchronized (this) {
            running = schedule;
            schedule = null;
        }
        if (running != null) {
            running.shutdown();
            try {
                running.awaitTermination(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        checkpoint();
    }
}

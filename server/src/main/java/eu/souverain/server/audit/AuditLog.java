package eu.souverain.server.audit;

import eu.souverain.server.store.Database;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * The append-only audit log. Each entry carries the hash of the one before it, so editing,
 * deleting, inserting or reordering an entry breaks the chain from that entry on.
 *
 * <p>An entry is appended in the caller's transaction: it commits with the change it records, or
 * neither does.
 */
public final class AuditLog {

    /** The previous hash of the first entry. */
    public static final String GENESIS = "0".repeat(64);

    private final Database database;
    private final Clock clock;

    public AuditLog(Database database, Clock clock) {
        this.database = database;
        this.clock = clock;
    }

    /** Appends {@code event} in the transaction of {@code handle}; returns its sequence number. */
    public long append(Handle handle, AuditEvent event) {
        if (!handle.isInTransaction()) {
            throw new IllegalStateException("audit entries are written inside the transaction of the change they record");
        }
        if (database.dialect() == Database.Dialect.POSTGRESQL) {
            // Concurrent transactions would otherwise read the same head and fork the chain.
            handle.execute("LOCK TABLE audit_entries IN EXCLUSIVE MODE");
        }
        Optional<Head> head = handle.createQuery("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1")
                .map((rs, ctx) -> new Head(rs.getLong("seq"), rs.getString("hash"))).findOne();
        long seq = head.map(h -> h.seq() + 1).orElse(1L);
        String previous = head.map(Head::hash).orElse(GENESIS);
        long at = clock.millis();
        String hash = hash(seq, at, event, previous);
        handle.createUpdate("""
                        INSERT INTO audit_entries (seq, at, organization_id, actor, action, resource, backend,
                            backend_location, client_ip, outcome, previous_hash, hash)
                        VALUES (:seq, :at, :org, :actor, :action, :resource, :backend, :location, :ip, :outcome,
                            :previous, :hash)""")
                .bind("seq", seq).bind("at", at).bind("org", event.organizationId()).bind("actor", event.actor())
                .bind("action", event.action()).bind("resource", event.resource()).bind("backend", event.backend())
                .bind("location", event.backendLocation()).bind("ip", event.clientIp())
                .bind("outcome", event.outcome().name()).bind("previous", previous).bind("hash", hash)
                .execute();
        return seq;
    }

    /** Appends {@code event} in a transaction of its own: for events that record no other change. */
    public long append(AuditEvent event) {
        return database.inTransaction(handle -> append(handle, event));
    }

    /** A page of the log, newest first: see {@link AuditEntry#newestFirst}. */
    public List<AuditEntry> newestFirst(String organizationId, boolean withoutOrganization, Long before, int limit) {
        return database.jdbi().withHandle(h -> AuditEntry.newestFirst(h, organizationId, withoutOrganization, before,
                limit));
    }

    /** Model calls counted by backend, organization and outcome, from the model.call entries. */
    public record Use(String backend, String organizationId, String outcome, long calls, long lastAt) {}

    /** The model calls that reached a backend (or were refused one) since {@code since}, epoch ms. */
    public static List<Use> modelCallsSince(Handle h, long since) {
        return h.createQuery("""
                        SELECT backend, organization_id, outcome, COUNT(*) AS calls, MAX(at) AS last_at
                        FROM audit_entries WHERE action = 'model.call' AND at >= :since AND backend IS NOT NULL
                        GROUP BY backend, organization_id, outcome ORDER BY backend, organization_id, outcome""")
                .bind("since", since)
                .map((rs, ctx) -> new Use(rs.getString("backend"), rs.getString("organization_id"), rs.getString("outcome"),
                        rs.getLong("calls"), rs.getLong("last_at")))
                .list();
    }

    /**
     * SHA-256 over every field of the entry and the previous hash, each field length-prefixed so
     * that no two different entries encode to the same bytes.
     */
    public static String hash(long seq, long at, AuditEvent e, String previousHash) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException("every Java platform has SHA-256", impossible);
        }
        for (String field : new String[] {Long.toString(seq), Long.toString(at), e.organizationId(), e.actor(),
                e.action(), e.resource(), e.backend(), e.backendLocation(), e.clientIp(), e.outcome().name(),
                previousHash}) {
            if (field == null) {
                digest.update((byte) 0);
            } else {
                byte[] bytes = field.getBytes(StandardCharsets.UTF_8);
                digest.update((byte) 1);
                digest.update(java.nio.ByteBuffer.allocate(4).putInt(bytes.length).array());
                digest.update(bytes);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private record Head(long seq, String hash) {
    }
}

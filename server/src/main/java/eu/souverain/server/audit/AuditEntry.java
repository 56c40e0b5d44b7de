package eu.souverain.server.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.jdbi.v3.core.Handle;

/**
 * One stored audit entry as its row holds it. The outcome is kept as stored text, so that a row
 * edited to an outcome that does not exist can still be read, exported and found broken.
 */
public record AuditEntry(long seq, long at, String organizationId, String actor, String action, String resource,
                         String backend, String backendLocation, String clientIp, String outcome, String previousHash,
                         String hash) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The hash this entry's fields give, or null when its outcome is not one there is. */
    String recomputedHash() {
        AuditEvent.Outcome parsed;
        try {
            parsed = AuditEvent.Outcome.valueOf(outcome);
        } catch (IllegalArgumentException e) {
            return null;
        }
        AuditEvent event = new AuditEvent(organizationId, actor, action, resource, backend, backendLocation, clientIp, parsed);
        return AuditLog.hash(seq, at, event, previousHash);
    }

    /** One JSON object: the entry's fields, its time both as milliseconds (what the hash covers) and ISO-8601. */
    public ObjectNode toJson() {
        return JSON.createObjectNode().put("seq", seq).put("at", at).put("time", Instant.ofEpochMilli(at).toString())
                .put("organization_id", organizationId).put("actor", actor).put("action", action)
                .put("resource", resource).put("backend", backend).put("backend_location", backendLocation)
                .put("client_ip", clientIp).put("outcome", outcome).put("previous_hash", previousHash).put("hash", hash);
    }

    /**
     * Hands {@code each} the entries in sequence order, from {@code sinceMillis} on (0 for all) and of
     * {@code organizationId} only when it is not null, streaming rather than loading them all.
     */
    public static void forEach(Handle handle, long sinceMillis, String organizationId, Consumer<AuditEntry> each) {
        var query = handle.createQuery("SELECT * FROM audit_entries WHERE at >= :since"
                        + (organizationId == null ? "" : " AND organization_id = :org") + " ORDER BY seq")
                .bind("since", sinceMillis).setFetchSize(1000);
        if (organizationId != null) {
            query.bind("org", organizationId);
        }
        query.map((rs, ctx) -> row(rs)).useIterator(entries -> entries.forEachRemaining(each));
    }

    /**
     * Up to {@code limit} entries, newest first, before sequence number {@code before} (null: from the
     * newest), of {@code organizationId} and, when {@code withoutOrganization}, also those that belong
     * to no organization (the installation's own: key rotations, sign-ins of unknown accounts).
     */
    public static List<AuditEntry> newestFirst(Handle handle, String organizationId, boolean withoutOrganization,
                                               Long before, int limit) {
        return handle.createQuery("SELECT * FROM audit_entries WHERE (organization_id = :org"
                        + (withoutOrganization ? " OR organization_id IS NULL" : "") + ")"
                        + (before == null ? "" : " AND seq < :before") + " ORDER BY seq DESC LIMIT :limit")
                .bind("org", organizationId).bindMap(before == null ? Map.of() : Map.of("before", before))
                .bind("limit", limit)
                .map((rs, ctx) -> row(rs)).list();
    }

    private static AuditEntry row(ResultSet rs) throws SQLException {
        return new AuditEntry(rs.getLong("seq"), rs.getLong("at"), rs.getString("organization_id"),
                rs.getString("actor"), rs.getString("action"), rs.getString("resource"), rs.getString("backend"),
                rs.getString("backend_location"), rs.getString("client_ip"), rs.getString("outcome"),
                rs.getString("previous_hash"), rs.getString("hash"));
    }
}

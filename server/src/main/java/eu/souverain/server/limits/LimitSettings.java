package eu.souverain.server.limits;

import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.Actor;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/** The limits an organization's administrators set, each change audited: the owner of table {@code limits}. */
public final class LimitSettings {

    /** A subject and its limits. */
    public record Entry(Subject subject, Limits limits) {}

    private final Database database;
    private final AuditLog audit;

    public LimitSettings(Database database, AuditLog audit) {
        this.database = database;
        this.audit = audit;
    }

    public List<Entry> list(String organizationId) {
        return database.jdbi().withHandle(h -> h.createQuery("""
                        SELECT * FROM limits WHERE organization_id = :org ORDER BY subject_kind, subject_id""")
                .bind("org", organizationId).map((rs, ctx) -> new Entry(subject(rs), limits(rs))).list());
    }

    public Optional<Limits> get(String organizationId, Subject subject) {
        return database.jdbi().withHandle(h -> h.createQuery("""
                        SELECT * FROM limits WHERE organization_id = :org AND subject_kind = :kind AND subject_id = :id""")
                .bind("org", organizationId).bind("kind", subject.kind().column()).bind("id", subject.id())
                .map((rs, ctx) -> limits(rs)).findOne());
    }

    public void put(String organizationId, Subject subject, Limits limits, Actor actor, Instant now) {
        database.useTransaction(h -> {
            h.createUpdate("""
                        INSERT INTO limits (organization_id, subject_kind, subject_id, requests_per_minute,
                            tokens_per_minute, tokens_per_day, tokens_per_month, soft_percent, updated_at)
                        VALUES (:org, :kind, :id, :rpm, :tpm, :day, :month, :soft, :at)
                        ON CONFLICT (organization_id, subject_kind, subject_id) DO UPDATE SET
                            requests_per_minute = excluded.requests_per_minute,
                            tokens_per_minute = excluded.tokens_per_minute,
                            tokens_per_day = excluded.tokens_per_day,
                            tokens_per_month = excluded.tokens_per_month,
                            soft_percent = excluded.soft_percent,
                            updated_at = excluded.updated_at""")
                .bind("org", organizationId).bind("kind", subject.kind().column()).bind("id", subject.id())
                .bind("rpm", limits.requestsPerMinute()).bind("tpm", limits.tokensPerMinute())
                .bind("day", limits.tokensPerDay()).bind("month", limits.tokensPerMonth())
                .bind("soft", limits.softPercent()).bind("at", now.toEpochMilli()).execute();
            audit.append(h, AuditEvent.of(organizationId, actor.id(), "limits.set", subject.counterKey(), actor.clientIp(),
                    AuditEvent.Outcome.SUCCESS));
        });
    }

    /** Whether there was a limit to remove. */
    public boolean remove(String organizationId, Subject subject, Actor actor) {
        return database.inTransaction(h -> {
            boolean removed = h.createUpdate("""
                            DELETE FROM limits WHERE organization_id = :org AND subject_kind = :kind AND subject_id = :id""")
                    .bind("org", organizationId).bind("kind", subject.kind().column()).bind("id", subject.id())
                    .execute() > 0;
            if (removed) {
                audit.append(h, AuditEvent.of(organizationId, actor.id(), "limits.remove", subject.counterKey(),
                        actor.clientIp(), AuditEvent.Outcome.SUCCESS));
            }
            return removed;
        });
    }

    /** The limits of those of {@code subjects} that have some, in the subjects' order. */
    static Map<Subject, Limits> of(Handle h, String organizationId, List<Subject> subjects) {
        Map<Subject, Limits> found = new LinkedHashMap<>();
        for (Subject subject : subjects) {
            h.createQuery("""
                            SELECT * FROM limits WHERE organization_id = :org AND subject_kind = :kind AND subject_id = :id""")
                    .bind("org", organizationId).bind("kind", subject.kind().column()).bind("id", subject.id())
                    .map((rs, ctx) -> limits(rs)).findOne().ifPresent(limits -> found.put(subject, limits));
        }
        return found;
    }

    private static Subject subject(ResultSet rs) throws SQLException {
        return new Subject(Subject.Kind.of(rs.getString("subject_kind")), rs.getString("subject_id"));
    }

    private static Limits limits(ResultSet rs) throws SQLException {
        return new Limits(nullable(rs, "requests_per_minute"), nullable(rs, "tokens_per_minute"),
                nullable(rs, "tokens_per_day"), nullable(rs, "tokens_per_month"), rs.getInt("soft_percent"));
    }

    private static Long nullable(ResultSet rs, String column) throws SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? null : value;
    }
}

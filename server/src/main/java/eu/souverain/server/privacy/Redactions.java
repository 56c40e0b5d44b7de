package eu.souverain.server.privacy;

import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.Organizations;
import java.time.Clock;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;

/** Each organization's {@link RedactionSettings}, kept in the store; a change is audited with it. */
public final class Redactions {

    private final Database database;
    private final AuditLog audit;
    private final Clock clock;

    public Redactions(Database database, AuditLog audit, Clock clock) {
        this.database = database;
        this.audit = audit;
        this.clock = clock;
    }

    /** The settings of {@code organizationId}: its own, or {@link RedactionSettings#OFF}. */
    public RedactionSettings settings(String organizationId) {
        return database.jdbi().withHandle(h -> stored(h, organizationId)).orElse(RedactionSettings.OFF);
    }

    /** Every organization that has settings of its own, by organization id. */
    public Map<String, RedactionSettings> all() {
        Map<String, RedactionSettings> all = new LinkedHashMap<>();
        database.jdbi().useHandle(h -> h.createQuery(
                        "SELECT organization_id, enabled, kinds FROM redaction_settings ORDER BY organization_id")
                .map((rs, ctx) -> Map.entry(rs.getString("organization_id"),
                        settings(rs.getBoolean("enabled"), rs.getString("kinds"))))
                .forEach(e -> all.put(e.getKey(), e.getValue())));
        return all;
    }

    /**
     * Replaces the settings of {@code organizationId}, audited as done by {@code actor} in the same
     * transaction; throws NoSuchElementException for an unknown organization.
     */
    public void set(String organizationId, RedactionSettings settings, String actor, String clientIp) {
        database.useTransaction(h -> {
            if (Organizations.byId(h, organizationId).isEmpty()) {
                throw new NoSuchElementException("organization '" + organizationId + "' does not exist");
            }
            h.createUpdate("DELETE FROM redaction_settings WHERE organization_id = :id").bind("id", organizationId)
                    .execute();
            h.createUpdate("""
                            INSERT INTO redaction_settings (organization_id, enabled, kinds, updated_at)
                            VALUES (:id, :enabled, :kinds, :at)""")
                    .bind("id", organizationId).bind("enabled", settings.enabled())
                    .bind("kinds", settings.kinds().stream().map(Enum::name).sorted().collect(Collectors.joining(",")))
                    .bind("at", clock.millis())
                    .execute();
            audit.append(h, AuditEvent.of(organizationId, actor, "redaction.settings.update", organizationId, clientIp,
                    AuditEvent.Outcome.SUCCESS));
        });
    }

    private static Optional<RedactionSettings> stored(Handle h, String organizationId) {
        return h.createQuery("SELECT enabled, kinds FROM redaction_settings WHERE organization_id = :id")
                .bind("id", organizationId)
                .map((rs, ctx) -> settings(rs.getBoolean("enabled"), rs.getString("kinds")))
                .findOne();
    }

    private static RedactionSettings settings(boolean enabled, String kinds) {
        return new RedactionSettings(enabled, Arrays.stream(kinds.split(",")).map(PiiKind::valueOf)
                .collect(Collectors.toCollection(() -> java.util.EnumSet.noneOf(PiiKind.class))));
    }
}

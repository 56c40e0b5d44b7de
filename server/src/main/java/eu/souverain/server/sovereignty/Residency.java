package eu.souverain.server.sovereignty;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.backends.Backend;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.Organizations;
import java.time.Clock;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * Each organization's residency policy, kept in the store, and the check every model call
 * passes before it reaches a backend: a call the policy does not allow is refused, naming the
 * rule, and the refusal is audited with the backend and its location.
 */
public final class Residency {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};

    private final Database database;
    private final AuditLog audit;
    private final Clock clock;

    public Residency(Database database, AuditLog audit, Clock clock) {
        this.database = database;
        this.audit = audit;
        this.clock = clock;
    }

    private record Governed(String name, ResidencyPolicy policy) {}

    /** The policy of {@code organizationId}: its own, or the default until an admin sets one. */
    public ResidencyPolicy policy(String organizationId) {
        return database.jdbi().withHandle(h -> organization(h, organizationId))
                .orElseThrow(() -> unknown(organizationId)).policy();
    }

    /**
     * Replaces the policy of {@code organizationId}, audited as done by {@code actor} from
     * {@code clientIp} in the same transaction; throws NoSuchElementException for an unknown organization.
     */
    public void setPolicy(String organizationId, ResidencyPolicy policy, String actor, String clientIp) {
        database.useTransaction(h -> {
            if (organization(h, organizationId).isEmpty()) {
                throw unknown(organizationId);
            }
            h.createUpdate("DELETE FROM residency_policies WHERE organization_id = :id").bind("id", organizationId)
                    .execute();
            h.createUpdate("""
                            INSERT INTO residency_policies (organization_id, remote_backends, jurisdictions, countries,
                                operators, updated_at)
                            VALUES (:id, :remote, :jurisdictions, :countries, :operators, :at)""")
                    .bind("id", organizationId).bind("remote", policy.remoteBackends())
                    .bind("jurisdictions", json(policy.jurisdictions())).bind("countries", json(policy.countries()))
                    .bind("operators", json(policy.operators())).bind("at", clock.millis())
                    .execute();
            audit.append(h, AuditEvent.of(organizationId, actor, "residency.policy.update", organizationId, clientIp,
                    AuditEvent.Outcome.SUCCESS));
        });
    }

    /**
     * Refuses, with a {@link ResidencyException} naming the rule, a call of {@code actor} for
     * {@code organizationId} to {@code model} on {@code backend} that the organization's policy
     * does not allow, and audits the refusal. A call without an organization, or for one not in
     * the store, gets the default policy.
     */
    public void check(String organizationId, Backend backend, String model, String actor, String clientIp) {
        Optional<Governed> organization = organizationId == null ? Optional.empty()
                : database.jdbi().withHandle(h -> organization(h, organizationId));
        String who = organization.map(o -> "organization '" + o.name() + "'")
                .orElse("the default policy (" + (organizationId == null ? "the request has no organization"
                        : "organization '" + organizationId + "' is unknown") + ")");
        ResidencyPolicy policy = organization.map(Governed::policy).orElse(ResidencyPolicy.DEFAULT);
        Optional<String> refusal = policy.refusal(who, backend);
        if (refusal.isPresent()) {
            audit.append(new AuditEvent(organizationId, actor, "model.call", model, backend.name(),
                    backend.location().describe(), clientIp, AuditEvent.Outcome.DENIED));
            throw new ResidencyException(refusal.get());
        }
    }

    /** The organization's name (tenancy owns it) with its policy, the default while it has none. */
    private static Optional<Governed> organization(Handle h, String organizationId) {
        return Organizations.byId(h, organizationId).map(o -> new Governed(o.name(), h.createQuery("""
                        SELECT remote_backends, jurisdictions, countries, operators
                        FROM residency_policies WHERE organization_id = :id""")
                .bind("id", organizationId)
                .map((rs, ctx) -> new ResidencyPolicy(rs.getBoolean("remote_backends"), list(rs.getString("jurisdictions")),
                        list(rs.getString("countries")), list(rs.getString("operators"))))
                .findOne().orElse(ResidencyPolicy.DEFAULT)));
    }

    private static NoSuchElementException unknown(String organizationId) {
        return new NoSuchElementException("organization '" + organizationId + "' does not exist");
    }

    private static String json(List<String> values) {
        try {
            return JSON.writeValueAsString(values);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a list of strings", e);
        }
    }

    private static List<String> list(String json) {
        try {
            return JSON.readValue(json, STRINGS);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a residency policy list in the store is not a JSON array: " + json, e);
        }
    }
}

package eu.souverain.server.tenancy;

import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.store.Database;
import java.time.Clock;
import java.util.Optional;
import java.util.function.Function;
import org.jdbi.v3.core.Handle;

/**
 * Organizations, their users and API keys, and the web sessions of those users, kept in the
 * {@link Database}; every change is appended to the {@link AuditLog} in its own transaction.
 */
public final class Tenancy {

    final Database database;
    final AuditLog audit;
    final Clock clock;
    private final Organizations organizations;
    private final Users users;
    private final ApiKeys keys;
    private final WebSessions sessions;
    private final Groups groups;
    private final SignInSettings signIn;
    private final ExternalSignIns externalSignIns;

    public Tenancy(Database database, AuditLog audit, Clock clock) {
        this.database = database;
        this.audit = audit;
        this.clock = clock;
        this.organizations = new Organizations(this);
        this.users = new Users(this);
        this.keys = new ApiKeys(this);
        this.sessions = new WebSessions(this, new LoginThrottle(clock));
        this.groups = new Groups(this);
        this.signIn = new SignInSettings(this);
        this.externalSignIns = new ExternalSignIns(this);
    }

    public AuditLog audit() {
        return audit;
    }

    public Organizations organizations() {
        return organizations;
    }

    public Users users() {
        return users;
    }

    public ApiKeys keys() {
        return keys;
    }

    public WebSessions sessions() {
        return sessions;
    }

    public Groups groups() {
        return groups;
    }

    public SignInSettings signIn() {
        return signIn;
    }

    public ExternalSignIns externalSignIns() {
        return externalSignIns;
    }

    /** The organization the first start created, if it has run. */
    public Optional<String> installationOrganization() {
        return database.jdbi().withHandle(h -> h.createQuery("SELECT organization_id FROM installation WHERE id = 1")
                .mapTo(String.class).findOne());
    }

    /** Whether {@code principal} is an owner of the installation's organization: one who may create others. */
    public boolean isInstallationOwner(Principal principal) {
        return principal.role() == Role.OWNER
                && installationOrganization().filter(principal.organizationId()::equals).isPresent();
    }

    /**
     * Runs {@code change} in one transaction on the row {@code id} of {@code table} when that row
     * belongs to {@code organizationId}. A row of another organization is answered exactly as a
     * missing one, so that its existence cannot be inferred, and either attempt is audited as DENIED
     * in the caller's organization: the same work for both, so that timing tells nothing either.
     */
    <T> T inOrganization(String table, String kind, String id, String organizationId, Actor actor, String action,
                         Function<Handle, T> change) {
        Optional<T> done = database.inTransaction(h -> {
            Optional<String> owner = h.createQuery("SELECT organization_id FROM " + table + " WHERE id = :id")
                    .bind("id", id).mapTo(String.class).findOne();
            // Audited alike, so that neither the answer nor the work done tells the two apart.
            if (owner.isEmpty() || !owner.get().equals(organizationId)) {
                denied(h, organizationId, actor, action, id);
                return Optional.<T>empty();
            }
            return Optional.of(change.apply(h));
        });
        return done.orElseThrow(() -> TenancyException.notFound(kind, id));
    }

    void denied(Handle h, String organizationId, Actor actor, String action, String resource) {
        audit.append(h, AuditEvent.of(organizationId, actor.id(), action, resource, actor.clientIp(),
                AuditEvent.Outcome.DENIED));
    }

    void succeeded(Handle h, String organizationId, Actor actor, String action, String resource) {
        audit.append(h, AuditEvent.of(organizationId, actor.id(), action, resource, actor.clientIp(),
                AuditEvent.Outcome.SUCCESS));
    }
}

package eu.souverain.server.tenancy;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/** The organizations of the installation: each one's users, keys and data are invisible to the others. */
public final class Organizations {

    /** A new organization and its first owner, with a one-time password. */
    public record Founded(Organization organization, Users.Created owner) {
    }

    private final Tenancy tenancy;

    Organizations(Tenancy tenancy) {
        this.tenancy = tenancy;
    }

    /** A new organization named {@code name}, which no other may already have. */
    public Organization create(String name, Actor actor) {
        return tenancy.database.inTransaction(h -> create(h, name, actor));
    }

    Organization create(Handle h, String name, Actor actor) {
        String checked = Names.name("name", name);
        if (byName(h, checked).isPresent()) {
            throw TenancyException.conflict("name", "an organization named '" + checked + "' exists already");
        }
        Organization organization = new Organization(Tokens.id("org_"), checked, tenancy.clock.instant());
        h.createUpdate("INSERT INTO organizations (id, name, created_at) VALUES (:id, :name, :at)")
                .bind("id", organization.id()).bind("name", organization.name())
                .bind("at", organization.createdAt().toEpochMilli()).execute();
        tenancy.succeeded(h, organization.id(), actor, "orgs.create", organization.id());
        return organization;
    }

    /**
     * A new organization named {@code name} and its first owner {@code ownerEmail}, with a random
     * one-time password: both or neither.
     */
    public Founded found(String name, String ownerEmail, Actor actor) {
        String email = Names.email(ownerEmail);
        String password = Tokens.password();
        String hash = Passwords.hash(password);
        return tenancy.database.inTransaction(h -> {
            Organization organization = create(h, name, actor);
            User owner = tenancy.users().insert(h, organization.id(), email, Role.OWNER, hash, actor);
            return new Founded(organization, new Users.Created(owner, password));
        });
    }

    /** The organizations {@code principal} may see: every one for an installation owner, else its own. */
    public List<Organization> list(Principal principal) {
        boolean all = tenancy.isInstallationOwner(principal);
        if (!all) {
            return tenancy.database.jdbi().withHandle(h -> byId(h, principal.organizationId()).stream().toList());
        }
        return all();
    }

    /** Every organization of the installation, oldest first: for the operator's command line. */
    public List<Organization> all() {
        return tenancy.database.jdbi().withHandle(h -> h.createQuery("SELECT * FROM organizations ORDER BY created_at, id")
                .map(Organizations::row).list());
    }

    /** The organization {@code id}, if {@code principal} may see it; else the same 404 as for none, audited. */
    public Organization get(Principal principal, String id, String clientIp) {
        boolean all = tenancy.isInstallationOwner(principal);
        Optional<Organization> found = tenancy.database.inTransaction(h -> {
            Optional<Organization> organization = byId(h, id);
            if (!all && !id.equals(principal.organizationId())) {
                tenancy.denied(h, principal.organizationId(), principal.actor(clientIp), "orgs.read", id);
                return Optional.<Organization>empty();
            }
            return organization;
        });
        return found.orElseThrow(() -> TenancyException.notFound("organization", id));
    }

    /** The organization with this id or, failing that, this name: how the command line names one. */
    public Organization find(String idOrName) {
        return tenancy.database.jdbi().withHandle(h -> byId(h, idOrName).or(() -> byName(h, idOrName)))
                .orElseThrow(() -> TenancyException.notFound("organization", idOrName));
    }

    /** The organization with this id, read in {@code h}: for the packages that keep something per organization. */
    public static Optional<Organization> byId(Handle h, String id) {
        return h.createQuery("SELECT * FROM organizations WHERE id = :id").bind("id", id)
                .map(Organizations::row).findOne();
    }

    static Optional<Organization> byName(Handle h, String name) {
        return h.createQuery("SELECT * FROM organizations WHERE name = :name").bind("name", name)
                .map(Organizations::row).findOne();
    }

    /** Every organization, or only {@code organizationId} when not null, oldest first: id to name. */
    public static Map<String, String> names(Handle h, String organizationId) {
        Map<String, String> organizations = new LinkedHashMap<>();
        h.createQuery("SELECT id, name FROM organizations" + (organizationId == null ? "" : " WHERE id = :id")
                        + " ORDER BY created_at, id")
                .bindMap(organizationId == null ? Map.of() : Map.of("id", organizationId))
                .map((rs, ctx) -> Map.entry(rs.getString("id"), rs.getString("name")))
                .forEach(e -> organizations.put(e.getKey(), e.getValue()));
        return organizations;
    }

    private static Organization row(ResultSet rs, org.jdbi.v3.core.statement.StatementContext ctx) throws SQLException {
        return new Organization(rs.getString("id"), rs.getString("name"), Instant.ofEpochMilli(rs.getLong("created_at")));
    }
}

package eu.souverain.server.tenancy;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** What a user may do in an organization; a web session acts with the scopes of its user's role. */
public enum Role {
    /** Everything an admin may do, and making or unmaking owners. */
    OWNER(EnumSet.allOf(Scope.class)),
    /** Manages users and API keys, uses the models, reads the audit log. */
    ADMIN(EnumSet.allOf(Scope.class)),
    /** Uses the models. */
    MEMBER(EnumSet.of(Scope.CHAT, Scope.EMBEDDINGS)),
    /** Reads the audit log and the reports, never conversation content nor the models. */
    AUDITOR(EnumSet.of(Scope.AUDIT));

    private final Set<Scope> scopes;

    Role(Set<Scope> scopes) {
        this.scopes = Set.copyOf(scopes);
    }

    public Set<Scope> scopes() {
        return scopes;
    }

    /** The name on the wire and in the database: owner, admin, member, auditor. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Role parse(String name) {
        for (Role role : values()) {
            if (role.wireName().equals(name)) {
                return role;
            }
        }
        throw TenancyException.invalid("role", "unknown role '" + name + "'; one of owner, admin, member, auditor");
    }
}

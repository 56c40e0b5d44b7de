package eu.souverain.server.tenancy;

import java.util.Set;

/**
 * Who a request acts as: exactly one organization, one actor in it (a user through a web session,
 * or an API key) and what it may do.
 *
 * @param actorId a user id ({@code usr_...}) or an API key id ({@code key_...})
 * @param role    the user's role; null for an API key, whose rights are its scopes alone
 */
public record Principal(String organizationId, String actorId, Role role, Set<Scope> scopes) {

    public Principal {
        scopes = Set.copyOf(scopes);
    }

    public boolean has(Scope scope) {
        return scopes.contains(scope);
    }

    public boolean isUser() {
        return role != null;
    }

    public Actor actor(String clientIp) {
        return new Actor(actorId, clientIp);
    }
}

package eu.souverain.server.api;

import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.Scope;
import io.javalin.http.Context;
import io.javalin.security.RouteRole;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * Who may use a route, declared on it as Javalin's route role: a principal with one of {@code
 * scopes}. One check before every matched route ({@link #check}) refuses anyone else with 403.
 */
record Access(Set<Scope> scopes) implements RouteRole {

    static final Access CHAT = new Access(EnumSet.of(Scope.CHAT));
    static final Access EMBEDDINGS = new Access(EnumSet.of(Scope.EMBEDDINGS));
    /** Files and batch jobs: whoever may run a model; a job checks the scope of its endpoint. */
    static final Access MODELS = new Access(EnumSet.of(Scope.CHAT, Scope.EMBEDDINGS));
    static final Access ADMIN = new Access(EnumSet.of(Scope.ADMIN));
    /** The members who may read administration data: admins and auditors. */
    static final Access READERS = new Access(EnumSet.of(Scope.ADMIN, Scope.AUDIT));

    /** Before every matched route: the principal must have a scope of each role the route declares. */
    static void check(Context ctx) {
        for (RouteRole role : ctx.routeRoles()) {
            if (role instanceof Access access) {
                Principal principal = Authentication.principal(ctx);
                if (access.scopes.stream().noneMatch(principal::has)) {
                    throw insufficientScope(principal, access.scopes);
                }
            }
        }
    }

    private static ApiError insufficientScope(Principal principal, Set<Scope> scopes) {
        String needed = scopes.stream().sorted().map(Scope::wireName).reduce((a, b) -> a + "' or '" + b).orElseThrow();
        return new ApiError(403, "invalid_request_error", "insufficient_scope", null,
                (principal.isUser() ? "the role '" + principal.role().wireName() + "'" : "API key " + principal.actorId())
                        + " lacks the scope '" + needed + "' that " + "this route needs", Map.of());
    }
}

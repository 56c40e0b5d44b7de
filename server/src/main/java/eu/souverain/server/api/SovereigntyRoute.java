package eu.souverain.server.api;

import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.Tenancy;
import io.javalin.http.Context;

/**
 * GET /v1/sovereignty/report: the running system's answers to where the data is, who has access
 * and how it is protected. An owner of the installation's own organization sees every
 * organization; anyone else with the admin or audit scope, their own.
 */
final class SovereigntyRoute {

    private final ApiServer server;
    private final Tenancy tenancy;

    SovereigntyRoute(ApiServer server, Tenancy tenancy) {
        this.server = server;
        this.tenancy = tenancy;
    }

    void get(Context ctx) {
        Principal principal = ApiServer.principal(ctx);
        String organization = tenancy.isInstallationOwner(principal) ? null : principal.organizationId();
        Json.respond(ctx, 200, server.report().build(organization));
    }
}

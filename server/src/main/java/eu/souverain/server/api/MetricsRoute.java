package eu.souverain.server.api;

import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.Scope;
import eu.souverain.server.tenancy.Tenancy;
import io.javalin.http.Context;
import java.util.Map;

/**
 * GET /metrics: counts and latencies of every organization together, so only the installation's
 * own organization may read them, with the audit scope, from any address (a reverse proxy on the
 * same host would make a loopback-only rule open to all).
 */
final class MetricsRoute {

    private final ApiMetrics metrics;
    private final Authentication authentication;
    private final Tenancy tenancy;

    MetricsRoute(ApiMetrics metrics, Authentication authentication, Tenancy tenancy) {
        this.metrics = metrics;
        this.authentication = authentication;
        this.tenancy = tenancy;
    }

    void get(Context ctx) {
        authentication.authenticate(ctx);
        Principal principal = Authentication.principal(ctx);
        if (!principal.has(Scope.AUDIT)
                || !tenancy.installationOrganization().filter(principal.organizationId()::equals).isPresent()) {
            throw new ApiError(403, "invalid_request_error", "insufficient_scope", null,
                    "/metrics needs a key with the scope 'audit' of the installation's own organization", Map.of());
        }
        ctx.status(200).contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape());
    }
}

package eu.souverain.server.api;

import eu.souverain.server.documents.Documents;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import eu.souverain.server.sovereignty.SovereigntyReport;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.Tenancy;
import io.javalin.http.Context;

/**
 * GET /v1/sovereignty/report: the running system's answers to where the data is, who has access
 * and how it is protected. An owner of the installation's own organization sees every
 * organization; anyone else with the admin or audit scope, their own.
 */
final class SovereigntyRoute {

    private final SovereigntyReport report;
    private final Tenancy tenancy;
    private final Documents documents;

    SovereigntyRoute(SovereigntyReport report, Tenancy tenancy, Documents documents) {
        this.report = report;
        this.tenancy = tenancy;
        this.documents = documents;
    }

    void get(Context ctx) {
        Principal principal = Authentication.principal(ctx);
        String organization = tenancy.isInstallationOwner(principal) ? null : principal.organizationId();
        ObjectNode built = report.build(organization);
        documents.describe(built);
        Json.respond(ctx, 200, built);
    }

    /**
     * POST /v1/audit/verify: the chain and every signed checkpoint checked now, as `./souverain
     * audit verify` does. Like the command, it appends nothing to the log it verifies.
     */
    void verify(Context ctx) {
        ObjectNode json = JsonNodeFactory.instance.objectNode().put("object", "audit.verification");
        json.setAll(report.auditVerification());
        Json.respond(ctx, 200, json);
    }

}

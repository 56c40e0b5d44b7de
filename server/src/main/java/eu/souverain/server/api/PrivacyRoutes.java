package eu.souverain.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.documents.Documents;
import eu.souverain.server.privacy.Erasure;
import eu.souverain.server.privacy.Privacy;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.Role;
import eu.souverain.server.tenancy.Scope;
import eu.souverain.server.tenancy.Tenancy;
import eu.souverain.server.tenancy.TenancyException;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.io.IOException;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The lifecycle of stored conversations over HTTP: each caller's export of its own, and for
 * administrators retention, erasure and export.
 */
final class PrivacyRoutes {

    private final Privacy privacy;
    private final Tenancy tenancy;
    private final RequestBodies bodies;
    private final Documents documents;

    PrivacyRoutes(Privacy privacy, Tenancy tenancy, RequestBodies bodies, Documents documents) {
        this.documents = documents;
        this.privacy = privacy;
        this.tenancy = tenancy;
        this.bodies = bodies;
    }

    /** GET /v1/conversations/export: the caller's conversations, decrypted, as one JSON document. */
    void exportOwn(Context ctx) {
        Principal by = Authentication.principal(ctx);
        Json.respond(ctx, 200, withLibraries(privacy.export().of(by.organizationId(), by.actorId(), by.actor(ctx.ip())),
                by.organizationId(), by.actorId()));
    }

    /**
     * GET /v1/admin/export[?user=ID]: a user's conversations, or without one the whole
     * organization's. Reading other people's conversations is the owner's alone, a user signed in
     * with the owner role; an administrator may erase them, never read them.
     */
    void exportForAdmin(Context ctx) {
        Principal by = Authentication.principal(ctx);
        if (by.role() != Role.OWNER) {
            throw TenancyException.forbidden("exporting other people's conversations needs the owner role");
        }
        String user = ctx.queryParam("user");
        if (user != null) {
            tenancy.users().get(by.organizationId(), user, by.actor(ctx.ip()));
        }
        Json.respond(ctx, 200, withLibraries(privacy.export().of(by.organizationId(), user, by.actor(ctx.ip())),
                by.organizationId(), user));
    }

    void getRetention(Context ctx) {
        Principal by = Authentication.principal(ctx);
        Json.respond(ctx, 200, retention(privacy.retention().days(by.organizationId()).orElse(null)));
    }

    /** PUT /v1/admin/retention: {days}, a number of days or null to keep messages until they are erased. */
    void putRetention(Context ctx) throws IOException {
        Principal by = Authentication.principal(ctx);
        RequestFields body = RequestFields.of(bodies.read(ctx, ConversationsRoutes.MAX_BODY_BYTES), Set.of("days"));
        JsonNode days = body.node("days");
        if (days == null) {
            throw ApiError.schema("missing_field", "days", "'days' is required: a number of days, or null to keep"
                    + " messages until they are erased");
        }
        if (!days.isNull() && !(days.isIntegralNumber() && days.canConvertToInt())) {
            throw ChatCompletionRequests.typeError("days", "an integer or null", days);
        }
        Integer value = days.isNull() ? null : days.asInt();
        privacy.retention().set(by.organizationId(), value, by.actor(ctx.ip()));
        Json.respond(ctx, 200, retention(value));
    }

    private static Map<String, Object> retention(Integer days) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("object", "retention");
        json.put("days", days);
        return json;
    }

    /** DELETE /v1/admin/users/{id}/data: the user's data keys destroyed and conversations deleted. */
    void eraseUser(Context ctx) {
        Principal by = Authentication.principal(ctx);
        String user = ctx.pathParam("id");
        tenancy.users().get(by.organizationId(), user, by.actor(ctx.ip()));
        Erasure.Erased erased = privacy.erasure().user(by.organizationId(), user, by.actor(ctx.ip()));
        Json.respond(ctx, 200, erased(erased, documents.eraseOwner(by.organizationId(), user)));
    }

    /** DELETE /v1/admin/organizations/{id}/data: the installation owner's, for any organization. */
    void eraseOrganization(Context ctx) {
        Principal by = Authentication.principal(ctx);
        if (!tenancy.isInstallationOwner(by)) {
            throw TenancyException.forbidden("only an owner of the installation's organization may erase an"
                    + " organization's data");
        }
        String organization = tenancy.organizations().get(by, ctx.pathParam("id"), ctx.ip()).id();
        Erasure.Erased erased = privacy.erasure().organization(organization, by.actor(ctx.ip()));
        Json.respond(ctx, 200, erased(erased, documents.erase(organization)));
    }

    private static Map<String, Object> erased(Erasure.Erased erased, int libraries) {
        return Map.of("object", "erasure", "conversations", erased.conversations(), "data_keys", erased.dataKeys(),
                "libraries", libraries);
    }

    /** An export with the document libraries of the same organization and owner (every owner when null). */
    private Map<String, Object> withLibraries(Map<String, Object> export, String organizationId, String ownerId) {
        Map<String, Object> whole = new java.util.LinkedHashMap<>(export);
        whole.put("libraries", documents.export(organizationId, ownerId));
        return whole;
    }
}

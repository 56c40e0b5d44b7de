package eu.souverain.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.privacy.Erasure;
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

    private final ApiServer server;
    private final Tenancy tenancy;

    PrivacyRoutes(ApiServer server, Tenancy tenancy) {
        this.server = server;
        this.tenancy = tenancy;
    }

    /** Before the conversation routes, so that /v1/conversations/export is not taken for a conversation's id. */
    void register(RoutesConfig routes) {
        routes.get("/v1/conversations/export", ApiServer.named("/v1/conversations/export",
                ApiServer.requires(Scope.CHAT, this::exportOwn)));
        routes.get("/v1/admin/retention", ApiServer.named("/v1/admin/retention",
                ApiServer.requiresAny(EnumSet.of(Scope.ADMIN, Scope.AUDIT), this::getRetention)));
        routes.put("/v1/admin/retention", admin("/v1/admin/retention", this::putRetention));
        routes.delete("/v1/admin/users/{id}/data", admin("/v1/admin/users/{id}/data", this::eraseUser));
        routes.delete("/v1/admin/organizations/{id}/data",
                admin("/v1/admin/organizations/{id}/data", this::eraseOrganization));
        routes.get("/v1/admin/export", admin("/v1/admin/export", this::exportForAdmin));
    }

    private static Handler admin(String route, Handler handler) {
        return ApiServer.named(route, ApiServer.requires(Scope.ADMIN, handler));
    }

    /** GET /v1/conversations/export: the caller's conversations, decrypted, as one JSON document. */
    private void exportOwn(Context ctx) {
        Principal by = ApiServer.principal(ctx);
        Json.respond(ctx, 200, server.privacy().export().of(by.organizationId(), by.actorId(), by.actor(ctx.ip())));
    }

    /**
     * GET /v1/admin/export[?user=ID]: a user's conversations, or without one the whole
     * organization's. Reading other people's conversations is the owner's alone, a user signed in
     * with the owner role; an administrator may erase them, never read them.
     */
    private void exportForAdmin(Context ctx) {
        Principal by = ApiServer.principal(ctx);
        if (by.role() != Role.OWNER) {
            throw TenancyException.forbidden("exporting other people's conversations needs the owner role");
        }
        String user = ctx.queryParam("user");
        if (user != null) {
            tenancy.users().get(by.organizationId(), user, by.actor(ctx.ip()));
        }
        Json.respond(ctx, 200, server.privacy().export().of(by.organizationId(), user, by.actor(ctx.ip())));
    }

    private void getRetention(Context ctx) {
        Principal by = ApiServer.principal(ctx);
        Json.respond(ctx, 200, retention(server.privacy().retention().days(by.organizationId()).orElse(null)));
    }

    /** PUT /v1/admin/retention: {days}, a number of days or null to keep messages until they are erased. */
    private void putRetention(Context ctx) throws IOException {
        Principal by = ApiServer.principal(ctx);
        RequestFields body = RequestFields.of(server.requestBody(ctx, ConversationsRoutes.MAX_BODY_BYTES), Set.of("days"));
        JsonNode days = body.node("days");
        if (days == null) {
            throw ApiError.schema("missing_field", "days", "'days' is required: a number of days, or null to keep"
                    + " messages until they are erased");
        }
        if (!days.isNull() && !(days.isIntegralNumber() && days.canConvertToInt())) {
            throw ChatCompletionRequests.typeError("days", "an integer or null", days);
        }
        Integer value = days.isNull() ? null : days.asInt();
        server.privacy().retention().set(by.organizationId(), value, by.actor(ctx.ip()));
        Json.respond(ctx, 200, retention(value));
    }

    private static Map<String, Object> retention(Integer days) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("object", "retention");
        json.put("days", days);
        return json;
    }

    /** DELETE /v1/admin/users/{id}/data: the user's data keys destroyed and conversations deleted. */
    private void eraseUser(Context ctx) {
        Principal by = ApiServer.principal(ctx);
        String user = ctx.pathParam("id");
        tenancy.users().get(by.organizationId(), user, by.actor(ctx.ip()));
        Json.respond(ctx, 200, erased(server.privacy().erasure().user(by.organizationId(), user, by.actor(ctx.ip()))));
    }

    /** DELETE /v1/admin/organizations/{id}/data: the installation owner's, for any organization. */
    private void eraseOrganization(Context ctx) {
        Principal by = ApiServer.principal(ctx);
        if (!tenancy.isInstallationOwner(by)) {
            throw TenancyException.forbidden("only an owner of the installation's organization may erase an"
                    + " organization's data");
        }
        String organization = tenancy.organizations().get(by, ctx.pathParam("id"), ctx.ip()).id();
        Json.respond(ctx, 200, erased(server.privacy().erasure().organization(organization, by.actor(ctx.ip()))));
    }

    private static Map<String, Object> erased(Erasure.Erased erased) {
        return Map.of("object", "erasure", "conversations", erased.conversations(), "data_keys", erased.dataKeys());
    }
}

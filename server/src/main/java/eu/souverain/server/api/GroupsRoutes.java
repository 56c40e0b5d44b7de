package eu.souverain.server.api;

import eu.souverain.server.tenancy.Group;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.Tenancy;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * /v1/admin/groups: the organization's groups of users, their members and the models they may
 * use (docs/api.md). Reading needs the admin or the audit scope, changing needs admin; every
 * change is audited by {@link eu.souverain.server.tenancy.Groups}.
 */
final class GroupsRoutes {

    private final Tenancy tenancy;
    private final RequestBodies bodies;

    GroupsRoutes(Tenancy tenancy, RequestBodies bodies) {
        this.tenancy = tenancy;
        this.bodies = bodies;
    }

    void register(RoutesConfig routes) {
        routes.get("/v1/admin/groups", this::list, Access.READERS);
        routes.post("/v1/admin/groups", this::create, Access.ADMIN);
        routes.get("/v1/admin/groups/{id}", this::get, Access.READERS);
        routes.patch("/v1/admin/groups/{id}", this::update, Access.ADMIN);
        routes.put("/v1/admin/groups/{id}/members/{user_id}", this::addMember, Access.ADMIN);
        routes.delete("/v1/admin/groups/{id}/members/{user_id}", this::removeMember, Access.ADMIN);
    }

    private void list(Context ctx) {
        Principal by = Authentication.principal(ctx);
        Json.respond(ctx, 200, TenancyJson.list(tenancy.groups().list(by.organizationId()).stream()
                .map(GroupsRoutes::json).toList()));
    }

    /** {name, idp_group?, models?}. */
    private void create(Context ctx) throws IOException {
        Principal by = Authentication.principal(ctx);
        RequestFields body = body(ctx);
        Json.respond(ctx, 201, json(tenancy.groups().create(by.organizationId(), body.requiredString("name"),
                body.string("idp_group"), body.strings("models"), by.actor(ctx.ip()))));
    }

    private void get(Context ctx) {
        Principal by = Authentication.principal(ctx);
        Json.respond(ctx, 200, json(tenancy.groups().get(by.organizationId(), ctx.pathParam("id"), by.actor(ctx.ip()))));
    }

    /** {name?, idp_group? ("" for none), models? ([] for no restriction)}. */
    private void update(Context ctx) throws IOException {
        Principal by = Authentication.principal(ctx);
        RequestFields body = body(ctx);
        Json.respond(ctx, 200, json(tenancy.groups().update(by.organizationId(), ctx.pathParam("id"),
                body.string("name"), body.string("idp_group"), body.strings("models"), by.actor(ctx.ip()))));
    }

    /** DELETE /v1/admin/groups/{id}, which {@link ApiServer} registers, to remove the group's limits too. */
    void delete(Context ctx) {
        Principal by = Authentication.principal(ctx);
        tenancy.groups().delete(by.organizationId(), ctx.pathParam("id"), by.actor(ctx.ip()));
        ctx.status(204);
    }

    private void addMember(Context ctx) {
        Principal by = Authentication.principal(ctx);
        Json.respond(ctx, 200, json(tenancy.groups().addMember(by.organizationId(), ctx.pathParam("id"),
                ctx.pathParam("user_id"), by.actor(ctx.ip()))));
    }

    private void removeMember(Context ctx) {
        Principal by = Authentication.principal(ctx);
        Json.respond(ctx, 200, json(tenancy.groups().removeMember(by.organizationId(), ctx.pathParam("id"),
                ctx.pathParam("user_id"), by.actor(ctx.ip()))));
    }

    private RequestFields body(Context ctx) throws IOException {
        return RequestFields.of(bodies.read(ctx, AdminRoutes.MAX_BODY_BYTES), Set.of("name", "idp_group", "models"));
    }

    static Map<String, Object> json(Group group) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("object", "group");
        json.put("id", group.id());
        json.put("organization_id", group.organizationId());
        json.put("name", group.name());
        json.put("idp_group", group.idpGroup());
        json.put("models", group.models());
        json.put("members", group.members());
        json.put("created_at", group.createdAt().getEpochSecond());
        return json;
    }
}

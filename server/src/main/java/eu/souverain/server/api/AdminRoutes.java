package eu.souverain.server.api;

import eu.souverain.server.tenancy.ApiKeys;
import eu.souverain.server.tenancy.Durations;
import eu.souverain.server.tenancy.Organizations;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.Role;
import eu.souverain.server.tenancy.Scope;
import eu.souverain.server.tenancy.Tenancy;
import eu.souverain.server.tenancy.TenancyException;
import eu.souverain.server.tenancy.Users;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.io.IOException;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Administration of the caller's organization over /v1/admin (docs/api.md): its users and API
 * keys, and the organizations an installation owner creates. Reading needs the admin or the audit
 * scope, changing needs admin. An id of another organization is answered as a missing one.
 */
final class AdminRoutes {

    static final long MAX_BODY_BYTES = 16 << 10;

    private final Tenancy tenancy;
    private final RequestBodies bodies;

    AdminRoutes(Tenancy tenancy, RequestBodies bodies) {
        this.tenancy = tenancy;
        this.bodies = bodies;
    }

    void register(RoutesConfig routes) {
        routes.get("/v1/admin/users", this::listUsers, Access.READERS);
        routes.post("/v1/admin/users", this::createUser, Access.ADMIN);
        routes.get("/v1/admin/users/{id}", this::getUser, Access.READERS);
        routes.patch("/v1/admin/users/{id}", this::updateUser, Access.ADMIN);
        routes.delete("/v1/admin/users/{id}", this::deleteUser, Access.ADMIN);
        routes.get("/v1/admin/keys", this::listKeys, Access.READERS);
        routes.post("/v1/admin/keys", this::createKey, Access.ADMIN);
        routes.get("/v1/admin/keys/{id}", this::getKey, Access.READERS);
        routes.delete("/v1/admin/keys/{id}", this::revokeKey, Access.ADMIN);
        routes.get("/v1/admin/organizations", this::listOrganizations, Access.READERS);
        routes.post("/v1/admin/organizations", this::createOrganization, Access.ADMIN);
        routes.get("/v1/admin/organizations/{id}", this::getOrganization, Access.READERS);
    }

    private void listUsers(Context ctx) {
        Principal by = Authentication.principal(ctx);
        Json.respond(ctx, 200, TenancyJson.list(tenancy.users().list(by.organizationId()).stream()
                .map(TenancyJson::user).toList()));
    }

    /** {email, role, password?}: without a password, a one-time one is made and answered this once. */
    private void createUser(Context ctx) throws IOException {
        Principal by = Authentication.principal(ctx);
        RequestFields body = body(ctx, Set.of("email", "role", "password"));
        Users.Created created = tenancy.users().create(by.organizationId(), body.requiredString("email"),
                Role.parse(body.requiredString("role")), body.string("password"), by.actor(ctx.ip()), asOwner(by));
        Map<String, Object> json = TenancyJson.user(created.user());
        if (created.oneTimePassword() != null) {
            json.put("password", created.oneTimePassword());
        }
        Json.respond(ctx, 201, json);
    }

    private void getUser(Context ctx) {
        Principal by = Authentication.principal(ctx);
        Json.respond(ctx, 200, TenancyJson.user(tenancy.users().get(by.organizationId(), ctx.pathParam("id"),
                by.actor(ctx.ip()))));
    }

    /** {role?, disabled?}. */
    private void updateUser(Context ctx) throws IOException {
        Principal by = Authentication.principal(ctx);
        RequestFields body = body(ctx, Set.of("role", "disabled"));
        String role = body.string("role");
        Json.respond(ctx, 200, TenancyJson.user(tenancy.users().update(by.organizationId(), ctx.pathParam("id"),
                role == null ? null : Role.parse(role), body.bool("disabled"), by.actor(ctx.ip()), asOwner(by))));
    }

    private void deleteUser(Context ctx) {
        Principal by = Authentication.principal(ctx);
        tenancy.users().delete(by.organizationId(), ctx.pathParam("id"), by.actor(ctx.ip()), asOwner(by));
        ctx.status(204);
    }

    private void listKeys(Context ctx) {
        Principal by = Authentication.principal(ctx);
        Json.respond(ctx, 200, TenancyJson.list(tenancy.keys().list(by.organizationId()).stream()
                .map(TenancyJson::key).toList()));
    }

    /** {name?, scopes, expires_in?}: the answer carries the key's secret form, this once. */
    private void createKey(Context ctx) throws IOException {
        Principal by = Authentication.principal(ctx);
        RequestFields body = body(ctx, Set.of("name", "scopes", "expires_in"));
        List<String> names = body.strings("scopes");
        if (names == null) {
            throw ApiError.schema("missing_field", "scopes", "'scopes' is required: some of chat, embeddings, admin, audit");
        }
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        names.forEach(name -> scopes.add(Scope.parse(name)));
        String expiresIn = body.string("expires_in");
        ApiKeys.Created created = tenancy.keys().create(by.organizationId(), body.string("name"), scopes,
                expiresIn == null ? null : Durations.parse("expires_in", expiresIn), by.actor(ctx.ip()));
        Map<String, Object> json = TenancyJson.key(created.key());
        json.put("key", created.secret());
        Json.respond(ctx, 201, json);
    }

    private void getKey(Context ctx) {
        Principal by = Authentication.principal(ctx);
        Json.respond(ctx, 200, TenancyJson.key(tenancy.keys().get(by.organizationId(), ctx.pathParam("id"),
                by.actor(ctx.ip()))));
    }

    private void revokeKey(Context ctx) {
        Principal by = Authentication.principal(ctx);
        Json.respond(ctx, 200, TenancyJson.key(tenancy.keys().revoke(by.organizationId(), ctx.pathParam("id"),
                by.actor(ctx.ip()))));
    }

    private void listOrganizations(Context ctx) {
        Principal by = Authentication.principal(ctx);
        Json.respond(ctx, 200, TenancyJson.list(tenancy.organizations().list(by).stream()
                .map(TenancyJson::organization).toList()));
    }

    private void getOrganization(Context ctx) {
        Principal by = Authentication.principal(ctx);
        Json.respond(ctx, 200, TenancyJson.organization(tenancy.organizations().get(by, ctx.pathParam("id"), ctx.ip())));
    }

    /**
     * {name, owner_email}: only an owner of the installation's organization may; the new
     * organization's owner gets a one-time password, answered this once.
     */
    private void createOrganization(Context ctx) throws IOException {
        Principal by = Authentication.principal(ctx);
        RequestFields body = body(ctx, Set.of("name", "owner_email"));
        String name = body.requiredString("name");
        String ownerEmail = body.requiredString("owner_email");
        if (!tenancy.isInstallationOwner(by)) {
            throw TenancyException.forbidden("only an owner of the installation's organization may create organizations");
        }
        Organizations.Founded founded = tenancy.organizations().found(name, ownerEmail, by.actor(ctx.ip()));
        Map<String, Object> json = new LinkedHashMap<>(TenancyJson.organization(founded.organization()));
        Map<String, Object> owner = TenancyJson.user(founded.owner().user());
        owner.put("password", founded.owner().oneTimePassword());
        json.put("owner", owner);
        Json.respond(ctx, 201, json);
    }

    private static boolean asOwner(Principal by) {
        return by.role() == Role.OWNER;
    }

    private RequestFields body(Context ctx, Set<String> fields) throws IOException {
        return RequestFields.of(bodies.read(ctx, MAX_BODY_BYTES), fields);
    }
}

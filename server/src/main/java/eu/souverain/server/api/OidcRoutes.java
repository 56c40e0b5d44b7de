package eu.souverain.server.api;

import eu.souverain.server.sso.SignInRefused;
import eu.souverain.server.sso.SignInUnavailable;
import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.sso.OrganizationSignOn;
import eu.souverain.server.sso.SingleSignOn;
import eu.souverain.server.tenancy.Role;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.Tenancy;
import eu.souverain.server.tenancy.TenancyException;
import eu.souverain.server.tenancy.WebSessions;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Single sign-on through the OpenID provider (docs/api.md): GET /auth/providers says whether there
 * is one; GET /auth/oidc/login sends the browser to it; GET /auth/oidc/callback is where it sends
 * the browser back, signed in or refused. GET and PUT /v1/admin/sign-in switch the organization's
 * local passwords off or on; GET, PUT and DELETE /v1/admin/sso set the organization's own provider,
 * which signs in the people of its email domains ({@code /auth/providers?email=} finds it).
 */
final class OidcRoutes {

    /** Binds a sign-in to the browser that began it; Lax, since the provider's redirect back is cross-site. */
    static final String BINDING_COOKIE = "souverain_oidc";
    static final String LOGIN_PATH = "/auth/oidc/login";
    static final String CALLBACK_PATH = "/auth/oidc/callback";
    /** The sign-in page's parameter that names why a single sign-on was refused. */
    static final String REFUSED_PARAMETER = "sign_in_refused";
    /** The provider could not be reached. */
    static final String UNAVAILABLE = "unavailable";

    private static final Set<String> PROVIDER_FIELDS = Set.of("issuer", "client_id", "client_secret", "provider_name",
            "domains", "role_claim", "roles");

    private final Tenancy tenancy;
    private final RequestBodies bodies;
    private volatile SingleSignOn sso;
    private volatile OrganizationSignOn organizations;

    OidcRoutes(Tenancy tenancy, RequestBodies bodies) {
        this.tenancy = tenancy;
        this.bodies = bodies;
    }

    void signInWith(SingleSignOn singleSignOn) {
        this.sso = singleSignOn;
    }

    void organizationsSignInWith(OrganizationSignOn providers) {
        this.organizations = providers;
    }

    void register(RoutesConfig routes) {
        routes.get("/auth/providers", this::providers);
        routes.get(LOGIN_PATH, this::login);
        routes.get(CALLBACK_PATH, this::callback);
        routes.get("/v1/admin/sign-in", this::settings, Access.READERS);
        routes.put("/v1/admin/sign-in", this::updateSettings, Access.ADMIN);
        routes.get("/v1/admin/sso", this::organizationProvider, Access.READERS);
        routes.put("/v1/admin/sso", this::setOrganizationProvider, Access.ADMIN);
        routes.delete("/v1/admin/sso", this::removeOrganizationProvider, Access.ADMIN);
    }

    private void providers(Context ctx) {
        SingleSignOn current = sso;
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("object", "sign_in_providers");
        if (current == null) {
            json.put("oidc", null);
        } else {
            Map<String, Object> oidc = new LinkedHashMap<>();
            oidc.put("name", current.providerName());
            oidc.put("login_url", LOGIN_PATH);
            oidc.put("end_session_url", endSession(current));
            json.put("oidc", oidc);
        }
        // Whether any organization has a provider of its own (the page then asks for the address), and
        // which one signs in the person of this address, if one does.
        OrganizationSignOn byOrganization = organizations;
        json.put("organizations_sign_on", byOrganization != null && byOrganization.any());
        String email = ctx.queryParam("email");
        if (byOrganization != null && email != null) {
            json.put("organization_oidc", byOrganization.forEmail(email).map(p -> {
                Map<String, Object> offer = new LinkedHashMap<>();
                offer.put("name", p.providerName());
                offer.put("login_url", LOGIN_PATH + "?organization=" + p.organizationId());
                return offer;
            }).orElse(null));
        }
        Json.respond(ctx, 200, json);
    }

    private static String endSession(SingleSignOn current) {
        try {
            return current.endSessionEndpoint().map(URI::toString).orElse(null);
        } catch (SignInUnavailable e) {
            return null;
        }
    }

    private void login(Context ctx) {
        String organization = ctx.queryParam("organization");
        SingleSignOn current;
        try {
            current = organization == null ? configured() : ownProvider(organization);
        } catch (SignInUnavailable e) {
            if (browser(ctx)) {
                refusedPage(ctx, UNAVAILABLE);
                return;
            }
            throw unavailable(e);
        }
        SingleSignOn.Start start;
        try {
            start = current.begin(URI.create(ctx.scheme() + "://" + ctx.host() + CALLBACK_PATH));
        } catch (SignInUnavailable e) {
            if (browser(ctx)) {
                refusedPage(ctx, UNAVAILABLE);
                return;
            }
            throw unavailable(e);
        }
        ctx.res().addHeader("Set-Cookie", BINDING_COOKIE + "=" + start.binding() + "; Path=/auth/oidc; Max-Age=600;"
                + " Secure; HttpOnly; SameSite=Lax");
        ctx.header("Cache-Control", "no-store");
        redirect(ctx, start.authorizationUri().toString());
    }

    private void callback(Context ctx) {
        // The provider that began the sign-in finishes it: an organization's own, or the server's.
        OrganizationSignOn byOrganization = organizations;
        Optional<String> organization = byOrganization == null ? Optional.empty()
                : byOrganization.organizationOf(ctx.queryParam("state"));
        SingleSignOn current;
        try {
            current = organization.isPresent() ? ownProvider(organization.get()) : configured();
        } catch (SignInUnavailable e) {
            if (browser(ctx)) {
                refusedPage(ctx, UNAVAILABLE);
                return;
            }
            throw unavailable(e);
        }
        ctx.header("Cache-Control", "no-store");
        ctx.res().addHeader("Set-Cookie", BINDING_COOKIE + "=; Path=/auth/oidc; Max-Age=0; Secure; HttpOnly; SameSite=Lax");
        WebSessions.SignedIn signedIn;
        try {
            signedIn = current.finish(ctx.queryParam("state"), ctx.queryParam("code"), ctx.queryParam("error"),
                    ctx.cookie(BINDING_COOKIE), ctx.ip());
        } catch (SignInRefused e) {
            if (browser(ctx)) {
                refusedPage(ctx, e.reason().code());
                return;
            }
            throw new ApiError(401, "invalid_request_error", "sign_in_refused", null,
                    "single sign-on refused: " + e.getMessage(), Map.of());
        } catch (SignInUnavailable e) {
            if (browser(ctx)) {
                refusedPage(ctx, UNAVAILABLE);
                return;
            }
            throw unavailable(e);
        }
        AuthRoutes.setSessionCookie(ctx, signedIn);
        redirect(ctx, "/");
    }

    /** A browser's request (it asks for a page), as opposed to a script's, which gets the JSON error. */
    private static boolean browser(Context ctx) {
        String accept = ctx.header("Accept");
        return accept != null && accept.contains("text/html");
    }

    /**
     * Back to the sign-in page, which says in the person's language why the sign-in did not go
     * through: one word of {@link SignInRefused.Reason} (or {@value #UNAVAILABLE}), never the
     * details, which the audit log keeps, so that nobody can make the page say something else.
     */
    private static void refusedPage(Context ctx, String reason) {
        redirect(ctx, "/?" + REFUSED_PARAMETER + "=" + reason);
    }

    private static void redirect(Context ctx, String location) {
        ctx.status(302).header("Location", location);
    }

    private void settings(Context ctx) {
        Principal by = Authentication.principal(ctx);
        Json.respond(ctx, 200, settingsJson(tenancy.signIn().passwordsEnabled(by.organizationId())));
    }

    /** {passwords: bool}: switching passwords off needs single sign-on configured, or nobody could sign in. */
    private void updateSettings(Context ctx) throws IOException {
        Principal by = Authentication.principal(ctx);
        RequestFields body = RequestFields.of(bodies.read(ctx, AdminRoutes.MAX_BODY_BYTES), Set.of("passwords"));
        Boolean passwords = body.bool("passwords");
        if (passwords == null) {
            throw ApiError.schema("missing_field", "passwords", "'passwords' is required: true or false");
        }
        OrganizationSignOn byOrganization = organizations;
        if (!passwords && sso == null
                && (byOrganization == null || byOrganization.get(by.organizationId()).isEmpty())) {
            throw TenancyException.conflict("passwords", "neither this server (serve --oidc-issuer) nor the"
                    + " organization (/v1/admin/sso) has single sign-on: with passwords off, nobody of the"
                    + " organization could sign in to the web app");
        }
        tenancy.signIn().setPasswordsEnabled(by.organizationId(), passwords, by.actor(ctx.ip()));
        Json.respond(ctx, 200, settingsJson(passwords));
    }

    private Map<String, Object> settingsJson(boolean passwords) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("object", "sign_in_settings");
        json.put("passwords", passwords);
        json.put("oidc", sso != null ? sso.providerName() : null);
        return json;
    }

    private SingleSignOn ownProvider(String organizationId) {
        OrganizationSignOn byOrganization = organizations;
        return (byOrganization == null ? Optional.<SingleSignOn>empty() : byOrganization.signOn(organizationId))
                .orElseThrow(() -> new ApiError(404, "invalid_request_error", "not_found", "organization",
                        "organization " + organizationId + " has no single sign-on of its own", Map.of()));
    }

    /** GET /v1/admin/sso: the organization's own provider, or null. */
    private void organizationProvider(Context ctx) {
        Principal by = Authentication.principal(ctx);
        Json.respond(ctx, 200, providerJson(ownProviders().get(by.organizationId()).orElse(null)));
    }

    /**
     * PUT /v1/admin/sso: {issuer, client_id, client_secret (env:SOUVERAIN_OIDC_NAME or null),
     * provider_name, domains, role_claim?, roles?: {owner: [groups], admin: [...], ...}}.
     */
    private void setOrganizationProvider(Context ctx) throws IOException {
        Principal by = Authentication.principal(ctx);
        JsonNode body = Json.read(bodies.read(ctx, AdminRoutes.MAX_BODY_BYTES));
        ChatCompletionRequests.requireKnownFields(body, PROVIDER_FIELDS, "sso");
        Map<Role, Set<String>> roles = new EnumMap<>(Role.class);
        JsonNode rolesNode = body.get("roles");
        if (rolesNode != null && !rolesNode.isNull()) {
            if (!rolesNode.isObject()) {
                throw ChatCompletionRequests.typeError("roles", "an object {role: [provider groups]}", rolesNode);
            }
            for (var entry : rolesNode.properties()) {
                roles.put(Role.parse(entry.getKey()), new LinkedHashSet<>(strings(entry.getValue(), "roles." + entry.getKey())));
            }
        }
        OrganizationSignOn.Provider saved = ownProviders().put(by.organizationId(),
                OrganizationSignOn.issuer(string(body, "issuer")), string(body, "client_id"),
                string(body, "client_secret"), string(body, "provider_name"), strings(body.get("domains"), "domains"),
                string(body, "role_claim"), roles, by.actor(ctx.ip()));
        Json.respond(ctx, 200, providerJson(saved));
    }

    /** DELETE /v1/admin/sso: 204, or 404 when the organization had none. */
    private void removeOrganizationProvider(Context ctx) {
        Principal by = Authentication.principal(ctx);
        if (!ownProviders().remove(by.organizationId(), by.actor(ctx.ip()))) {
            throw new ApiError(404, "invalid_request_error", "not_found", null,
                    "the organization has no single sign-on of its own", Map.of());
        }
        ctx.status(204);
    }

    private OrganizationSignOn ownProviders() {
        OrganizationSignOn byOrganization = organizations;
        if (byOrganization == null) {
            throw new ApiError(404, "invalid_request_error", "not_found", null,
                    "this server does not let organizations set their own single sign-on", Map.of());
        }
        return byOrganization;
    }

    private static Map<String, Object> providerJson(OrganizationSignOn.Provider p) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("object", "organization_sign_on");
        if (p == null) {
            json.put("provider", null);
            return json;
        }
        Map<String, Object> provider = new LinkedHashMap<>();
        provider.put("issuer", p.issuer().toString());
        provider.put("client_id", p.clientId());
        provider.put("client_secret", p.clientSecret());
        provider.put("provider_name", p.providerName());
        provider.put("domains", p.domains());
        provider.put("role_claim", p.roleClaim());
        Map<String, Object> roles = new LinkedHashMap<>();
        p.roles().forEach((role, groups) -> roles.put(role.wireName(), List.copyOf(groups)));
        provider.put("roles", roles);
        provider.put("login_url", LOGIN_PATH + "?organization=" + p.organizationId());
        provider.put("redirect_uri_path", CALLBACK_PATH);
        json.put("provider", provider);
        return json;
    }

    private static String string(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw ChatCompletionRequests.typeError(field, "a string", value);
        }
        return value.textValue();
    }

    private static List<String> strings(JsonNode node, String field) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray() || node.size() > 100) {
            throw ChatCompletionRequests.typeError(field, "an array of at most 100 strings", node);
        }
        List<String> values = new ArrayList<>();
        for (JsonNode item : node) {
            if (!item.isTextual()) {
                throw ChatCompletionRequests.typeError(field, "an array of strings", node);
            }
            values.add(item.textValue());
        }
        return values;
    }

    private SingleSignOn configured() {
        SingleSignOn current = sso;
        if (current == null) {
            throw new ApiError(404, "invalid_request_error", "not_found", null,
                    "this server has no single sign-on (serve --oidc-issuer)", Map.of());
        }
        return current;
    }

    private static ApiError unavailable(SignInUnavailable e) {
        return new ApiError(503, "server_error", "identity_provider_unavailable", null, e.getMessage(), Map.of());
    }
}

package eu.souverain.server.api;

import eu.souverain.server.sso.SignInRefused;
import eu.souverain.server.sso.SignInUnavailable;
import eu.souverain.server.sso.SingleSignOn;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.Tenancy;
import eu.souverain.server.tenancy.TenancyException;
import eu.souverain.server.tenancy.WebSessions;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Single sign-on through the OpenID provider (docs/api.md): GET /auth/providers says whether there
 * is one; GET /auth/oidc/login sends the browser to it; GET /auth/oidc/callback is where it sends
 * the browser back, signed in or refused. GET and PUT /v1/admin/sign-in switch the organization's
 * local passwords off or on.
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

    private final Tenancy tenancy;
    private final RequestBodies bodies;
    private volatile SingleSignOn sso;

    OidcRoutes(Tenancy tenancy, RequestBodies bodies) {
        this.tenancy = tenancy;
        this.bodies = bodies;
    }

    void signInWith(SingleSignOn singleSignOn) {
        this.sso = singleSignOn;
    }

    void register(RoutesConfig routes) {
        routes.get("/auth/providers", this::providers);
        routes.get(LOGIN_PATH, this::login);
        routes.get(CALLBACK_PATH, this::callback);
        routes.get("/v1/admin/sign-in", this::settings, Access.READERS);
        routes.put("/v1/admin/sign-in", this::updateSettings, Access.ADMIN);
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
        SingleSignOn current = configured();
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
        SingleSignOn current = configured();
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
        if (!passwords && sso == null) {
            throw TenancyException.conflict("passwords", "this server has no single sign-on (serve --oidc-issuer):"
                    + " with passwords off, nobody of the organization could sign in to the web app");
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

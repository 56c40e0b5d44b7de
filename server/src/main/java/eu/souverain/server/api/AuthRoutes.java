package eu.souverain.server.api;

import eu.souverain.server.tenancy.Tenancy;
import eu.souverain.server.tenancy.WebSessions;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Web app sign-in: POST /auth/login sets the session cookie ({@code Secure; HttpOnly;
 * SameSite=Strict}) and answers the CSRF token; GET /auth/session answers it again after a page
 * reload; POST /auth/logout and POST /auth/password need the cookie and the token.
 */
final class AuthRoutes {

    /** Sign-in bodies are small: a larger one is refused before it is read. */
    static final long MAX_BODY_BYTES = 16 << 10;

    private final Tenancy tenancy;
    private final RequestBodies bodies;

    AuthRoutes(Tenancy tenancy, RequestBodies bodies) {
        this.tenancy = tenancy;
        this.bodies = bodies;
    }

    void register(RoutesConfig routes) {
        routes.post("/auth/login", this::login);
        routes.get("/auth/session", this::session);
        routes.head("/auth/session", this::session);
        routes.post("/auth/logout", this::logout);
        routes.post("/auth/password", this::password);
    }

    private void login(Context ctx) throws IOException {
        RequestFields body = body(ctx, Set.of("email", "password"));
        WebSessions.SignedIn signedIn = tenancy.sessions().login(body.requiredString("email"),
                body.requiredString("password"), ctx.ip());
        setSessionCookie(ctx, signedIn);
        ctx.header("Cache-Control", "no-store");
        Json.respond(ctx, 200, session(signedIn.session()));
    }

    static void setSessionCookie(Context ctx, WebSessions.SignedIn signedIn) {
        long maxAge = WebSessions.LIFETIME.toSeconds();
        ctx.res().addHeader("Set-Cookie", Authentication.SESSION_COOKIE + "=" + signedIn.token() + "; Path=/; Max-Age="
                + maxAge + "; Secure; HttpOnly; SameSite=Strict");
    }

    private void session(Context ctx) {
        ctx.header("Cache-Control", "no-store");
        Json.respond(ctx, 200, session(current(ctx)));
    }

    private void logout(Context ctx) {
        WebSessions.Session session = current(ctx);
        Authentication.requireCsrfToken(ctx, session);
        tenancy.sessions().logout(ctx.cookie(Authentication.SESSION_COOKIE), ctx.ip());
        clearCookie(ctx);
        ctx.status(204);
    }

    private void password(Context ctx) throws IOException {
        WebSessions.Session session = current(ctx);
        Authentication.requireCsrfToken(ctx, session);
        RequestFields body = body(ctx, Set.of("current_password", "new_password"));
        tenancy.sessions().changePassword(ctx.cookie(Authentication.SESSION_COOKIE), body.requiredString("current_password"),
                body.requiredString("new_password"), ctx.ip());
        ctx.status(204);
    }

    private WebSessions.Session current(Context ctx) {
        String token = ctx.cookie(Authentication.SESSION_COOKIE);
        if (token == null) {
            throw ApiErrors.unauthenticated("no session: sign in with POST /auth/login");
        }
        return tenancy.sessions().authenticate(token);
    }

    /**
     * A JSON body, and only JSON: a cross-site HTML form can post text/plain or form data without
     * the browser asking first, never application/json.
     */
    private RequestFields body(Context ctx, Set<String> fields) throws IOException {
        String type = ctx.contentType();
        if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw new ApiError(415, "invalid_request_error", "unsupported_media_type", null,
                    "send the body as application/json", Map.of());
        }
        return RequestFields.of(bodies.read(ctx, MAX_BODY_BYTES), fields);
    }

    private static void clearCookie(Context ctx) {
        ctx.res().addHeader("Set-Cookie", Authentication.SESSION_COOKIE
                + "=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict");
    }

    private static Map<String, Object> session(WebSessions.Session session) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("object", "session");
        json.put("user", TenancyJson.user(session.user()));
        json.put("csrf_token", session.csrfToken());
        json.put("expires_at", session.expiresAt().getEpochSecond());
        return json;
    }
}

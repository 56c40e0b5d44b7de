package eu.souverain.server.api;

import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.Tenancy;
import eu.souverain.server.tenancy.WebSessions;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.Set;

/**
 * Who a /v1 request acts as, decided once before any /v1 route runs: with {@code Authorization:
 * Bearer <API key>}, or with the web app's session cookie and, on a state-changing request, its
 * CSRF token in {@value #CSRF_HEADER}. The {@link Principal}, one organization and one actor, is
 * then on the request for every route: {@link #principal}.
 */
final class Authentication {

    /** The web app's session cookie. */
    static final String SESSION_COOKIE = "souverain_session";
    static final String CSRF_HEADER = "X-CSRF-Token";
    private static final String PRINCIPAL = "souverain.principal";
    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");

    private final Tenancy tenancy;

    Authentication(Tenancy tenancy) {
        this.tenancy = tenancy;
    }

    /** Whom a /v1 request acts as: the organization, the user or API key, its role and scopes. */
    static Principal principal(Context ctx) {
        Principal principal = ctx.attribute(PRINCIPAL);
        if (principal == null) {
            throw new IllegalStateException(ctx.path() + " is not under /v1: it has no principal");
        }
        return principal;
    }

    /** The request's principal, or null when it was not authenticated (or refused before). */
    static Principal principalIfAny(Context ctx) {
        return ctx.attribute(PRINCIPAL);
    }

    /**
     * A Bearer API key, or else the session cookie, whose state-changing requests must echo the
     * session's CSRF token (a cross-site page can make the browser send the cookie, never read the
     * token). Nothing is cached: a revoked key fails on its next request.
     */
    void authenticate(Context ctx) {
        String authorization = ctx.header("Authorization");
        Principal principal;
        if (authorization != null) {
            if (!authorization.regionMatches(true, 0, "Bearer ", 0, "Bearer ".length())) {
                throw ApiErrors.unauthenticated("the Authorization header must be 'Bearer <API key>'");
            }
            principal = tenancy.keys().authenticate(authorization.substring("Bearer ".length()).strip(), ctx.ip());
        } else {
            String token = ctx.cookie(SESSION_COOKIE);
            if (token == null) {
                throw ApiErrors.unauthenticated("no API key: send the header 'Authorization: Bearer <API key>'");
            }
            WebSessions.Session session = tenancy.sessions().authenticate(token);
            if (!SAFE_METHODS.contains(ctx.method().name())) {
                requireCsrfToken(ctx, session);
            }
            principal = session.principal();
        }
        ctx.attribute(PRINCIPAL, principal);
    }

    /**
     * Refuses (403) a session request whose CSRF header is missing or is not the session's token.
     * The session is known by then: the refusal is its person's, audited as their other 403s are.
     */
    static void requireCsrfToken(Context ctx, WebSessions.Session session) {
        String sent = ctx.header(CSRF_HEADER);
        if (sent == null || !MessageDigest.isEqual(sent.getBytes(StandardCharsets.UTF_8),
                session.csrfToken().getBytes(StandardCharsets.UTF_8))) {
            ctx.attribute(PRINCIPAL, session.principal());
            throw new ApiError(403, "invalid_request_error", "csrf_token_invalid", CSRF_HEADER,
                    "a state-changing request of a web session must carry the session's CSRF token in " + CSRF_HEADER,
                    Map.of());
        }
    }
}

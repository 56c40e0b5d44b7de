package eu.souverain.server.api;

import eu.souverain.server.backends.BackendException;
import eu.souverain.server.limits.LimitExceeded;
import eu.souverain.server.sovereignty.ResidencyException;
import eu.souverain.server.tenancy.TenancyException;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.util.LinkedHashMap;
import java.util.Map;

/** What the platform's refusals and failures answer over HTTP, and how an error is written. */
final class ApiErrors {

    private ApiErrors() {
    }

    static ApiError unauthenticated(String message) {
        return new ApiError(401, "invalid_request_error", "invalid_api_key", null, message,
                Map.of("WWW-Authenticate", "Bearer"));
    }

    /**
     * A tenancy refusal as an HTTP error. (A 403 is audited after the request; a refusal across
     * organizations is audited where it happens, since it answers 404.)
     */
    static ApiError of(TenancyException e) {
        return switch (e.reason()) {
            case INVALID -> ApiError.invalid(e.param(), e.getMessage());
            case NOT_FOUND -> new ApiError(404, "invalid_request_error", "not_found", null, e.getMessage(), Map.of());
            case CONFLICT -> new ApiError(409, "invalid_request_error", "conflict", e.param(), e.getMessage(), Map.of());
            case FORBIDDEN -> new ApiError(403, "invalid_request_error", "forbidden", e.param(), e.getMessage(), Map.of());
            case UNAUTHENTICATED -> unauthenticated(e.getMessage());
            case TOO_MANY_ATTEMPTS -> new ApiError(429, "rate_limit_error", "too_many_sign_in_attempts", null,
                    e.getMessage(), Map.of("Retry-After", Long.toString(e.retryAfterSeconds())));
        };
    }

    /** A limit met: 429 with when to try again and OpenAI's x-ratelimit-* figures. */
    static ApiError of(LimitExceeded e) {
        Map<String, String> headers = new LinkedHashMap<>(e.headers());
        headers.put("Retry-After", Long.toString(e.retryAfterSeconds()));
        String code = e.limit().startsWith("requests") ? "rate_limit_exceeded"
                : e.limit().equals("tokens_per_minute") ? "tokens_per_minute_exceeded" : "budget_exceeded";
        return new ApiError(429, "rate_limit_error", code, null, e.getMessage(), headers);
    }

    /** A residency refusal: 403, naming the rule. */
    static ApiError of(ResidencyException e) {
        return new ApiError(403, "permission_error", "residency_policy", "model", e.getMessage(), Map.of());
    }

    static ApiError of(BackendException e) {
        return switch (e.reason()) {
            case MODEL_NOT_FOUND -> new ApiError(404, "invalid_request_error", "model_not_found", "model",
                    e.getMessage(), Map.of());
            case INVALID_REQUEST -> new ApiError(400, "invalid_request_error", "invalid_value",
                    e.param() != null ? e.param() : "messages",
                    e.getMessage(), Map.of());
            // OpenAI's code for it, which its clients know.
            case CONTEXT_EXCEEDED -> new ApiError(400, "invalid_request_error", "context_length_exceeded", "messages",
                    e.getMessage(), Map.of());
            case BUSY -> new ApiError(429, "rate_limit_error", "queue_full", null, e.getMessage(),
                    e.queueCapacity() == 0 ? Map.of()
                            : Map.of("x-ratelimit-limit-requests", Integer.toString(e.queueCapacity())));
            case UNAVAILABLE -> new ApiError(503, "server_error", "unavailable", null, e.getMessage(), Map.of());
            case BAD_GATEWAY -> new ApiError(502, "server_error", "bad_gateway", null, e.getMessage(), Map.of());
            case GATEWAY_TIMEOUT -> new ApiError(504, "server_error", "gateway_timeout", null, e.getMessage(), Map.of());
        };
    }

    /** Javalin's own answers: no route, a method not allowed, a body over the limit. */
    static ApiError of(HttpResponseException e, Context ctx) {
        return new ApiError(e.getStatus(), e.getStatus() >= 500 ? "server_error" : "invalid_request_error",
                JsonErrorHandler.codeOf(e.getStatus()), null, messageOf(e, ctx), Map.of());
    }

    /**
     * Writes {@code error}. Every 429 and 503 also says when to come back, in the headers clients
     * know from OpenAI's API: Retry-After (1 s unless the error says otherwise) and no requests
     * remaining until then.
     */
    static void respond(ApiError error, Context ctx) {
        error.headers().forEach(ctx::header);
        if (error.status() == 429 || error.status() == 503) {
            String retryAfter = error.headers().getOrDefault("Retry-After", "1");
            ctx.header("Retry-After", retryAfter);
            ctx.header("x-ratelimit-remaining-requests", "0");
            ctx.header("x-ratelimit-reset-requests", retryAfter + "s");
        }
        Json.respond(ctx, error.status(), error.body());
    }

    private static String messageOf(HttpResponseException e, Context ctx) {
        return switch (e.getStatus()) {
            case 404 -> "no route for " + ctx.method() + " " + ctx.path();
            case 405 -> ctx.method() + " is not allowed on " + ctx.path();
            default -> e.getMessage();
        };
    }
}

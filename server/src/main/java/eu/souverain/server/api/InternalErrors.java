package eu.souverain.server.api;

import io.javalin.http.Context;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A failure inside the server, which the client can do nothing about: its cause goes whole to the
 * log under the request id, and the client gets a generic message with that id, never the
 * exception (class names, SQL, file paths tell an attacker how the server is built).
 */
final class InternalErrors {

    private static final Logger LOG = LoggerFactory.getLogger(InternalErrors.class);

    private InternalErrors() {}

    /** Logs {@code cause} of {@code what} under request {@code id}; returns the message for the client. */
    static String log(String what, String id, Throwable cause) {
        LOG.error("{} failed (request {})", what, id, cause);
        return "internal error: the server's log has the details under request id " + id;
    }

    /** The 500 for a request whose route failed with {@code cause}. */
    static ApiError of(Context ctx, Throwable cause) {
        return new ApiError(500, "server_error", "internal_error", null, log(ctx.method() + " " + ctx.path(), id(ctx), cause),
                Map.of());
    }

    /** The error event that ends a stream whose generation failed with {@code cause}. */
    static Map<String, Object> event(Context ctx, Throwable cause) {
        return ApiError.body(log(ctx.method() + " " + ctx.path() + " (streamed)", id(ctx), cause), "server_error", null,
                "internal_error");
    }

    /** The request's id, set on the response before any route. */
    private static String id(Context ctx) {
        String id = ctx.res().getHeader(RequestIds.HEADER);
        return id != null ? id : RequestIds.of(null);
    }
}

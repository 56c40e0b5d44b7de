package eu.souverain.server.api;

import io.javalin.http.Context;
import java.io.EOFException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A request whose client closed the connection before sending the body it announced. Nothing failed
 * inside the server, and anyone can do it as often as they like: one line in the log, never a
 * stack trace.
 */
final class CutBodies {

    private static final Logger LOG = LoggerFactory.getLogger(CutBodies.class);

    private CutBodies() {}

    static void handle(EOFException cut, Context ctx) {
        LOG.warn("{} {}: the client closed the connection before its whole body arrived (request {})", ctx.method(),
                ctx.path(), ctx.res().getHeader(RequestIds.HEADER));
        // For the metrics and the audit: the client is gone, so nobody reads it.
        Json.respond(ctx, 400, new ApiError(400, "invalid_request_error", "incomplete_body", null,
                "the connection closed before the whole request body arrived", Map.of()).body());
    }
}

package eu.souverain.server.api;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/** Request bodies read under a size limit: refused with 413 before they are read whole, declared length or not. */
final class RequestBodies {

    private final long maxBytes;

    RequestBodies(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** The body under the server's limit. */
    byte[] read(Context ctx) throws IOException {
        return read(ctx, maxBytes);
    }

    /** The body under {@code limit}, for routes whose bodies are small. */
    byte[] read(Context ctx, long limit) throws IOException {
        long declared = ctx.req().getContentLengthLong();
        if (declared > limit) {
            throw tooLarge(declared + " bytes", limit);
        }
        try (InputStream in = ctx.req().getInputStream()) {
            byte[] body = in.readNBytes((int) Math.min(limit + 1, Integer.MAX_VALUE - 8));
            if (body.length > limit) {
                throw tooLarge("more than " + limit + " bytes", limit);
            }
            return body;
        }
    }

    private static ApiError tooLarge(String size, long limit) {
        return new ApiError(413, "invalid_request_error", "request_too_large", null,
                "the request body has " + size + "; the limit is " + limit + " bytes", Map.of());
    }
}

package eu.souverain.server.api;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A server-sent event stream of {@code data:} lines, flushed event by event so that each piece
 * reaches the client as soon as it is generated. A failed write means the client went away.
 */
final class EventStream {

    private final OutputStream out;

    EventStream(HttpServletResponse response) throws IOException {
        response.setStatus(200);
        response.setContentType("text/event-stream");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-cache");
        // Tells nginx-style proxies in front of the server not to buffer the stream either.
        response.setHeader("X-Accel-Buffering", "no");
        out = response.getOutputStream();
        response.flushBuffer();
    }

    void data(Object value) throws IOException {
        write(Json.bytes(value));
    }

    void done() throws IOException {
        write("[DONE]".getBytes(StandardCharsets.US_ASCII));
    }

    private void write(byte[] payload) throws IOException {
        out.write("data: ".getBytes(StandardCharsets.US_ASCII));
        out.write(payload);
        out.write("\n\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }
}

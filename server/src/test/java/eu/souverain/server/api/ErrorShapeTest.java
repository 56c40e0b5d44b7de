package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.backends.LocalBackend;
import eu.souverain.server.store.TestDatabases;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every error the server sends is the API's JSON error, with a request id, whatever refuses it:
 * Jetty before any route (a malformed or oversized request), a route, or a failure inside the
 * server, whose cause goes to the log under the request id and never to the client.
 */
class ErrorShapeTest {

    @TempDir
    Path dir;

    /** What a raw HTTP/1.1 exchange answered: the status, the headers (lower-case names), the body. */
    record Raw(int status, Map<String, String> headers, String body) {}

    /** Sends {@code request} as bytes, as no well-behaved client would, and reads the answer to the connection's end. */
    static Raw raw(int port, String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            try {
                // Connection: close, so that the answer ends with the connection.
                out.write(request.replaceFirst("\r\n", "\r\nConnection: close\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            } catch (IOException e) {
                // The server may answer and close before it has read everything sent.
            }
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            try {
                in.transferTo(answer);
            } catch (IOException e) {
                // A reset after the answer: what came before it is the answer.
            }
            String text = answer.toString(StandardCharsets.UTF_8);
            int end = text.indexOf("\r\n\r\n");
            assertThat(end).as("an HTTP answer to %s: %s", abbreviated(request), text).isPositive();
            String[] lines = text.substring(0, end).split("\r\n");
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, colon).toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
            }
            String body = text.substring(end + 4);
            if ("chunked".equals(headers.get("transfer-encoding"))) {
                body = unchunked(body);
            }
            return new Raw(Integer.parseInt(lines[0].split(" ")[1]), headers, body);
        }
    }

    private static String unchunked(String body) {
        StringBuilder whole = new StringBuilder();
        int at = 0;
        while (true) {
            int line = body.indexOf("\r\n", at);
            int size = Integer.parseInt(body.substring(at, line).strip(), 16);
            if (size == 0) {
                return whole.toString();
            }
            whole.append(body, line + 2, line + 2 + size);
            at = line + 2 + size + 2;
        }
    }

    private static String abbreviated(String request) {
        return request.length() > 120 ? request.substring(0, 120) + "..." : request;
    }

    /** The API's error, with the fields both SDK families read, and nothing of Java in it; returns the body. */
    static JsonNode assertApiError(Raw answer, String what) {
        assertThat(answer.status()).as(what).isBetween(400, 599);
        assertThat(answer.headers().get("content-type")).as(what + ": " + answer.body()).startsWith("application/json");
        assertThat(answer.headers().get("x-request-id")).as(what).isNotBlank();
        JsonNode body = TestServer.parse(answer.body());
        assertThat(body.get("object").asText()).as(what).isEqualTo("error");
        assertThat(body.get("error").get("code").asText()).as(what).isNotBlank();
        assertThat(body.get("error").get("type").asText()).as(what).isNotBlank();
        assertThat(body.get("message").asText()).as(what).isEqualTo(body.get("error").get("message").asText())
                .isNotBlank().doesNotContain("java.", "Exception", "<", "jetty", "\tat ");
        return body;
    }

    private static final String KB64 = "x".repeat(64 << 10);
    private static final String KB100 = "a".repeat(100 << 10);

    @Test
    void whatJettyRefusesBeforeAnyRouteIsTheApisJsonError() throws IOException {
        try (TestServer server = TestServer.bundled(); CapturedLogs logs = new CapturedLogs()) {
            int port = server.server.port();
            String key = "Authorization: Bearer " + server.apiKey + "\r\n";
            Map<String, Integer> refused = new LinkedHashMap<>();
            refused.put("GET /v1/%2e%2e/admin/users HTTP/1.1\r\nHost: a\r\n" + key + "\r\n", 0);
            refused.put("GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n", 0);
            refused.put("GET /v1/models/%2E%2E/%2E%2E/metrics HTTP/1.1\r\nHost: a\r\n" + key + "\r\n", 0);
            refused.put("GET /v1/models%00 HTTP/1.1\r\nHost: a\r\n" + key + "\r\n", 0);
            refused.put("GET /v1/models/a%2fb HTTP/1.1\r\nHost: a\r\n" + key + "\r\n", 0);
            refused.put("GET /v1/models/%5c.. HTTP/1.1\r\nHost: a\r\n" + key + "\r\n", 0);
            refused.put("GET /v1/models HTTP/1.1\r\nHost: a\r\nX-Big: " + KB64 + "\r\n\r\n", 431);
            refused.put("GET /v1/models?q=" + KB100 + " HTTP/1.1\r\nHost: a\r\n\r\n", 414);
            refused.put("GET /" + KB100 + " HTTP/1.1\r\nHost: a\r\n\r\n", 414);
            refused.put("GET /v1/models HTTP/1.1\r\nHost: a\r\nNo colon here\r\n\r\n", 0);
            refused.put("GET /v1/models HTTP/7.3\r\nHost: a\r\n\r\n", 0);
            refused.put("POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nContent-Length: twelve\r\n" + key + "\r\n", 0);
            refused.put("POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: rot13\r\n" + key + "\r\n", 0);
            refused.put("complete nonsense\r\n\r\n", 0);
            refused.put("GET /v1/models HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 0);
            List<String> failures = new ArrayList<>();
            for (Map.Entry<String, Integer> request : refused.entrySet()) {
                String what = abbreviated(request.getKey()).replace("\r\n", " | ");
                Raw answer = raw(port, request.getKey());
                try {
                    if (request.getValue() != 0) {
                        assertThat(answer.status()).as(what + ": " + answer.body()).isEqualTo(request.getValue());
                    }
                    assertApiError(answer, what);
                } catch (AssertionError e) {
                    failures.add(e.getMessage());
                }
            }
            assertThat(failures).isEmpty();
            assertThat(logs.text()).as("a malformed request is no failure of the server's").doesNotContain("\tat ", "ERROR");
        }
    }

    /** The id and the cause of a failure go to the log; the client gets the id alone. */
    private static void assertInternalError(JsonNode error, String requestId, CapturedLogs logs) {
        assertThat(error.get("code").asText()).isEqualTo("internal_error");
        assertThat(error.get("type").asText()).isEqualTo("server_error");
        assertThat(error.get("message").asText()).contains(requestId)
                .doesNotContain("java.", "Exception", "SQL", "jdbc", "Hikari", "\tat ", "/");
        String logged = logs.text();
        assertThat(logged).contains(requestId);
        assertThat(logged.substring(logged.indexOf(requestId))).as("the cause, whole, under the id").contains("\tat ");
    }

    @Test
    void aFailureInsideTheServerAnswersTheRequestIdAndLogsItsCause() throws IOException {
        try (CapturedLogs logs = new CapturedLogs(); TenancyFixture f = new TenancyFixture(TestDatabases.SQLITE, dir)) {
            f.database.close();
            for (String path : new String[] {"/v1/models", "/v1/admin/users", "/v1/conversations"}) {
                TestServer.Reply reply = f.a.get(path);
                assertThat(reply.status()).as(path).isEqualTo(500);
                assertThat(reply.header("content-type")).startsWith("application/json");
                assertInternalError(reply.body(), reply.header("x-request-id"), logs);
                assertInternalError(reply.body().get("error"), reply.header("x-request-id"), logs);
            }
        }
    }

    @Test
    void aStreamThatFailsInsideTheServerEndsWithTheRequestIdAlone() throws IOException {
        try (CapturedLogs logs = new CapturedLogs(); TenancyFixture f = new TenancyFixture(TestDatabases.SQLITE, dir)) {
            f.server.serve(TestServices.of(f.server, f.tenancy, f.database, dir, f.clock,
                    LocalBackend.load(Map.of("stories260K", TestServer.BUNDLED_MODEL),
                            new LocalBackend.Settings(0, 1, 16, 4, 0, null))));
            // Kept when the answer ends: with the store gone by then, keeping it fails inside the server.
            try (TestServer.EventReader events = f.a.openStream("""
                    {"model": "stories260K", "max_tokens": 400, "seed": 1, "store": true, "stream": true,
                     "messages": [{"role": "user", "content": "Once upon a time"}]}""")) {
                assertThat(events.response.statusCode()).isEqualTo(200);
                assertThat(events.next()).contains("chat.completion.chunk");
                f.database.close();
                String last = null;
                for (String event; (event = events.next()) != null; ) {
                    last = event;
                }
                JsonNode error = TestServer.parse(last);
                assertThat(error.get("object").asText()).as(last).isEqualTo("error");
                String requestId = events.response.headers().firstValue("x-request-id").orElseThrow();
                assertInternalError(error, requestId, logs);
                assertInternalError(error.get("error"), requestId, logs);
            }
        }
    }

    @Test
    void aBodyCutOffByItsClientLogsOneLineAndNoStackTrace() throws Exception {
        try (TestServer server = TestServer.bundled(); CapturedLogs logs = new CapturedLogs()) {
            int cuts = 3;
            for (int i = 0; i < cuts; i++) {
                try (Socket socket = new Socket("127.0.0.1", server.server.port())) {
                    socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\n"
                            + "Authorization: Bearer " + server.apiKey + "\r\nContent-Type: application/json\r\n"
                            + "Content-Length: 60000\r\n\r\n{\"messages\": [").getBytes(StandardCharsets.US_ASCII));
                    socket.getOutputStream().flush();
                    Thread.sleep(200);
                }
            }
            // The server notices each cut when it next reads; the health check after them goes through the same threads.
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (logs.text().lines().count() < cuts && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            Thread.sleep(500);
            String logged = logs.text();
            assertThat(logged).doesNotContain("\tat ", "Caused by");
            assertThat(logged.lines().toList()).as(logged).hasSize(cuts)
                    .allSatisfy(line -> assertThat(line).contains("req_", "POST /v1/chat/completions"));
        }
    }
}

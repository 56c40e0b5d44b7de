package eu.souverain.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One streamed chat completion, timed as a client sees it: when each content piece arrives, read
 * line by line from the server-sent events as they come, and how the request ended.
 */
final class StreamedChat {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Why a request failed: {@code http_<status>}, or one of these. */
    static final String CONNECTION = "connection";
    static final String TIMEOUT = "timeout";
    /** The stream ended with an error event. */
    static final String STREAM_ERROR = "stream_error";
    /** The stream ended, or held something unreadable, before its last chunk. */
    static final String STREAM_INCOMPLETE = "stream_incomplete";

    /**
     * How one request went. {@code error} is null when it completed; {@code firstTokenNanos} is -1
     * when no content arrived; {@code gapsNanos} are the times between consecutive content pieces;
     * the token counts are the server's usage, or (completion tokens) the pieces counted where it sent none.
     */
    record Outcome(String error, String detail, long firstTokenNanos, long[] gapsNanos, int completionTokens,
                   int promptTokens, int cachedTokens) {

        boolean completed() {
            return error == null;
        }

        static Outcome failed(String error, String detail) {
            return new Outcome(error, detail, -1, new long[0], 0, 0, 0);
        }
    }

    private final HttpClient client;
    private final URI endpoint;
    private final String apiKey;
    private final Duration timeout;

    StreamedChat(HttpClient client, URI endpoint, String apiKey, Duration timeout) {
        this.client = client;
        this.endpoint = endpoint;
        this.apiKey = apiKey;
        this.timeout = timeout;
    }

    Outcome send(String body) throws InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoint)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (apiKey != null) {
            request.header("Authorization", "Bearer " + apiKey);
        }
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        HttpResponse<InputStream> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpConnectTimeoutException e) {
            return Outcome.failed(TIMEOUT, "no connection within " + timeout.toSeconds() + " s");
        } catch (HttpTimeoutException e) {
            return Outcome.failed(TIMEOUT, "no response within " + timeout.toSeconds() + " s");
        } catch (IOException e) {
            return Outcome.failed(CONNECTION, describe(e));
        }
        try (InputStream in = response.body()) {
            if (response.statusCode() != 200) {
                return Outcome.failed("http_" + response.statusCode(), errorMessage(in.readAllBytes()));
            }
            // Reads block until the server sends more; past the deadline the watchdog closes the stream under them.
            Thread watchdog = Thread.ofVirtual().start(() -> closeAt(deadline, in));
            try {
                return read(in, start);
            } catch (IOException e) {
                return System.nanoTime() - deadline >= 0
                        ? Outcome.failed(TIMEOUT, "the stream did not end within " + timeout.toSeconds() + " s")
                        : Outcome.failed(CONNECTION, describe(e));
            } finally {
                watchdog.interrupt();
            }
        } catch (IOException e) {
            return Outcome.failed(CONNECTION, describe(e));
        }
    }

    private static void closeAt(long deadline, InputStream in) {
        try {
            Thread.sleep(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            in.close();
        } catch (InterruptedException | IOException e) {
            // The request ended first, or the stream is closing anyway.
        }
    }

    /** Reads the events as they arrive; each event's time is when its closing blank line came. */
    private static Outcome read(InputStream in, long start) throws IOException {
        BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        StringBuilder data = null;
        long previous = -1;
        long firstToken = -1;
        List<Long> gaps = new ArrayList<>();
        int pieces = 0;
        JsonNode usage = null;
        boolean finished = false;
        for (String line; (line = lines.readLine()) != null; ) {
            if (line.startsWith("data:")) {
                String value = line.substring(line.startsWith("data: ") ? 6 : 5);
                data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                continue;
            }
            if (!line.isEmpty() || data == null) {
                continue;  // comments, other fields, blank lines between events
            }
            long now = System.nanoTime();
            String event = data.toString();
            data = null;
            if (event.equals("[DONE]")) {
                return completed(firstToken, gaps, pieces, usage);
            }
            JsonNode chunk;
            try {
                chunk = JSON.readTree(event);
            } catch (IOException e) {
                return Outcome.failed(STREAM_INCOMPLETE, "an event is not JSON: " + abbreviate(event));
            }
            if (chunk.hasNonNull("error") || "error".equals(chunk.path("object").asText())) {
                return Outcome.failed(STREAM_ERROR, errorMessage(chunk));
            }
            for (JsonNode choice : chunk.path("choices")) {
                String content = choice.path("delta").path("content").asText("");
                if (!content.isEmpty()) {
                    pieces++;
                    if (firstToken < 0) {
                        firstToken = now - start;
                    } else {
                        gaps.add(now - previous);
                    }
                    previous = now;
                }
                finished |= choice.hasNonNull("finish_reason");
            }
            if (chunk.path("usage").isObject()) {
                usage = chunk.get("usage");
            }
        }
        // Some servers close the stream after the finish without [DONE]; that answer is whole.
        return finished ? completed(firstToken, gaps, pieces, usage)
                : Outcome.failed(STREAM_INCOMPLETE, "the stream ended before the answer finished");
    }

    private static Outcome completed(long firstToken, List<Long> gaps, int pieces, JsonNode usage) {
        long[] gapsNanos = gaps.stream().mapToLong(Long::longValue).toArray();
        if (usage == null) {
            return new Outcome(null, null, firstToken, gapsNanos, pieces, 0, 0);
        }
        return new Outcome(null, null, firstToken, gapsNanos, usage.path("completion_tokens").asInt(pieces),
                usage.path("prompt_tokens").asInt(0), usage.path("prompt_tokens_details").path("cached_tokens").asInt(0));
    }

    private static String errorMessage(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        try {
            return errorMessage(JSON.readTree(text));
        } catch (IOException e) {
            return abbreviate(text);
        }
    }

    /** The message of OpenAI's nested error object or of Mistral's top-level one. */
    private static String errorMessage(JsonNode body) {
        JsonNode error = body.path("error");
        String message = error.isObject() ? error.path("message").asText(null)
                : error.isTextual() ? error.asText() : body.path("message").asText(null);
        return message != null ? message : abbreviate(body.toString());
    }

    private static String describe(IOException e) {
        Throwable cause = e;
        while (cause.getCause() != null && !(cause instanceof ConnectException)) {
            cause = cause.getCause();
        }
        return cause instanceof ConnectException ? "connection refused" : String.valueOf(e.getMessage() != null ? e.getMessage() : e);
    }

    private static String abbreviate(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "...";
    }
}

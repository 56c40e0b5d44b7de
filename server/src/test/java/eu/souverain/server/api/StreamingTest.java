package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streaming as it happens in time, on a synthetic model slow enough (a few milliseconds a token on
 * one thread) that a generation of a couple of hundred tokens is still running while the test acts on it.
 */
class StreamingTest {

    @TempDir
    static Path dir;

    private static Path model;

    @BeforeAll
    static void writeModel() throws IOException {
        model = TestServer.writeSlowModel(dir.resolve("slow.gguf"));
    }

    /** One sequence at a time, so that a second request waits in the queue. */
    private static TestServer server(int queue, Duration grace) throws IOException {
        return new TestServer(Map.of("slow", model), queue, 1, 1 << 20, grace);
    }

    /** Till the context is full: no max_tokens, and greedy so that it never stops early by chance. */
    private static final String LONG = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"temperature\":0,\"stream\":true}";

    private static boolean isContent(String event) {
        if (event.equals("[DONE]")) {
            return false;
        }
        JsonNode choices = TestServer.parse(event).get("choices");
        return choices != null && !choices.isEmpty() && choices.get(0).get("delta").has("content")
                && !choices.get(0).get("delta").get("content").asText().isEmpty();
    }

    /** Reads up to and including the first event that carries generated text. */
    private static void readFirstContent(TestServer.EventReader events) {
        for (String event; (event = events.next()) != null; ) {
            if (isContent(event)) {
                return;
            }
        }
        throw new AssertionError("the stream ended without content");
    }

    @Test
    void piecesArriveAsTheyAreGenerated() throws IOException {
        try (TestServer server = server(4, Duration.ofSeconds(5));
             TestServer.EventReader events = server.openStream(
                     "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"temperature\":0,\"stream\":true,\"max_tokens\":200}")) {
            assertThat(events.response.statusCode()).isEqualTo(200);
            assertThat(events.response.headers().firstValue("content-type").orElseThrow()).startsWith("text/event-stream");
            List<Long> arrivals = new ArrayList<>();
            String last = null;
            for (String event; (event = events.next()) != null; last = event) {
                if (isContent(event)) {
                    arrivals.add(System.nanoTime());
                }
            }
            assertThat(last).isEqualTo("[DONE]");
            assertThat(arrivals).hasSizeGreaterThan(100);
            // Buffered, every piece would arrive at once at the end; streamed, they spread over the generation.
            long spreadMillis = (arrivals.getLast() - arrivals.getFirst()) / 1_000_000;
            long firstHalf = (arrivals.get(arrivals.size() / 2) - arrivals.getFirst()) / 1_000_000;
            assertThat(spreadMillis).isGreaterThan(50);
            assertThat(firstHalf).isGreaterThan(spreadMillis / 10);
        }
    }

    @Test
    void aClientThatLeavesMidStreamStopsItsGeneration() throws IOException {
        try (TestServer server = server(4, Duration.ofSeconds(5))) {
            TestServer.EventReader events = server.openStream(LONG);
            readFirstContent(events);
            events.close();
            long start = System.nanoTime();
            TestServer.Reply next = server.post("{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}],\"max_tokens\":3}");
            long nextMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.body().get("usage").get("completion_tokens").asInt()).isEqualTo(3);

            // Measured after, with the code warmer: had the abandoned generation run on to the end of
            // the context, the request above would have waited longer than this whole generation.
            start = System.nanoTime();
            JsonNode whole = server.post(LONG.replace(",\"stream\":true", "")).body();
            long fullMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(whole.get("choices").get(0).get("finish_reason").asText()).isEqualTo("length");
            assertThat(nextMillis).as("a whole generation took %d ms", fullMillis).isLessThan(fullMillis / 2);
        }
    }

    @Test
    void aFullQueueIs429WithRetryHeaders() throws IOException {
        try (TestServer server = server(1, Duration.ZERO);
             TestServer.EventReader running = server.openStream(LONG)) {
            readFirstContent(running);
            try (TestServer.EventReader queued = server.openStream(LONG)) {
                assertThat(queued.response.statusCode()).isEqualTo(200);
                TestServer.Reply refused = server.post(LONG);
                assertThat(refused.status()).isEqualTo(429);
                assertThat(refused.body().get("error").get("code").asText()).isEqualTo("queue_full");
                assertThat(refused.header("retry-after")).isEqualTo("1");
                assertThat(refused.header("x-ratelimit-limit-requests")).isEqualTo("1");
                assertThat(refused.header("x-ratelimit-remaining-requests")).isEqualTo("0");
                assertThat(refused.header("x-request-id")).isNotBlank();
            }
        }
    }

    @Test
    void shutdownCutsOffAGenerationPastTheGracePeriodWithAnErrorEvent() throws Exception {
        TestServer server = server(4, Duration.ZERO);
        try (TestServer.EventReader events = server.openStream(LONG)) {
            readFirstContent(events);
            Thread closing = Thread.ofVirtual().start(server::close);
            String last = null;
            for (String event; (event = events.next()) != null; ) {
                last = event;
            }
            closing.join();
            JsonNode error = TestServer.parse(last);
            assertThat(error.get("object").asText()).isEqualTo("error");
            assertThat(error.get("error").get("message").asText()).contains("shutting down");
        }
    }

    @Test
    void shutdownLetsAGenerationWithinTheGracePeriodFinish() throws Exception {
        TestServer server = server(4, Duration.ofSeconds(20));
        try (TestServer.EventReader events = server.openStream(
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"temperature\":0,\"stream\":true,\"max_tokens\":100}")) {
            readFirstContent(events);
            Thread closing = Thread.ofVirtual().start(server::close);
            List<String> rest = new ArrayList<>();
            for (String event; (event = events.next()) != null; ) {
                rest.add(event);
            }
            closing.join();
            assertThat(rest.getLast()).isEqualTo("[DONE]");
            assertThat(TestServer.parse(rest.get(rest.size() - 2)).get("usage").get("completion_tokens").asInt())
                    .isEqualTo(100);
        }
    }
}

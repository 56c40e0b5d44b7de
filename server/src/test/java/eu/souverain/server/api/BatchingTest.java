package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.backends.LocalBackend;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Concurrent requests on one model share its batched steps and still get the answers each gets alone. */
class BatchingTest {

    private static String request(int i, boolean stream) {
        return "{\"messages\":[{\"role\":\"user\",\"content\":\"Tell story number " + i + " about a cat\"}],"
                + "\"temperature\":1,\"seed\":" + (100 + i) + ",\"max_tokens\":" + (20 + 5 * i)
                + (stream ? ",\"stream\":true" : "") + "}";
    }

    /** The content of a streamed answer, from its chunks' deltas. */
    private static String content(List<String> events) {
        assertThat(events.getLast()).isEqualTo("[DONE]");
        StringBuilder text = new StringBuilder();
        for (String event : events.subList(0, events.size() - 1)) {
            JsonNode choices = TestServer.parse(event).get("choices");
            if (choices != null && !choices.isEmpty() && choices.get(0).get("delta").has("content")) {
                text.append(choices.get(0).get("delta").get("content").asText());
            }
        }
        return text.toString();
    }

    private static double sample(String metrics, String series) {
        List<String> lines = metrics.lines().filter(line -> line.startsWith(series + " ")).toList();
        assertThat(lines).as("series " + series + " in\n" + metrics).hasSize(1);
        return Double.parseDouble(lines.getFirst().substring(series.length() + 1));
    }

    @Test
    void eightConcurrentStreamsAllCompleteWithTheAnswersEachGetsAlone() throws Exception {
        try (TestServer server = new TestServer(Map.of("stories260K", TestServer.BUNDLED_MODEL), 16, 8, 1 << 20,
                Duration.ofSeconds(5))) {
            List<String> alone = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                TestServer.Reply reply = server.post(request(i, false));
                assertThat(reply.status()).isEqualTo(200);
                alone.add(reply.body().get("choices").get(0).get("message").get("content").asText());
            }

            CountDownLatch ready = new CountDownLatch(8);
            List<Future<String>> streams = new ArrayList<>();
            try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 8; i++) {
                    int index = i;
                    streams.add(clients.submit(() -> {
                        ready.countDown();
                        ready.await();
                        return content(server.stream(request(index, true)));
                    }));
                }
                for (int i = 0; i < 8; i++) {
                    assertThat(streams.get(i).get()).as("stream %d", i).isEqualTo(alone.get(i)).isNotEmpty();
                }
            }

            String metrics = server.client.send(HttpRequest.newBuilder(server.uri("/metrics"))
                            .header("Authorization", "Bearer " + server.apiKey).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(sample(metrics, "souverain_kv_cache_blocks{model=\"stories260K\",state=\"used\"}")).isZero();
            assertThat(sample(metrics, "souverain_kv_cache_blocks{model=\"stories260K\",state=\"cached\"}")).isPositive();
            assertThat(sample(metrics, "souverain_kv_cache_blocks{model=\"stories260K\",state=\"free\"}")).isPositive();
            // The streams repeated the prompts answered alone: their prefixes came from the cache.
            assertThat(sample(metrics, "souverain_prefix_cache_hit_tokens_total{model=\"stories260K\"}")).isPositive();
            assertThat(sample(metrics, "souverain_active_sequences{model=\"stories260K\"}")).isZero();
        }
    }

    @Test
    void severalChoicesRunAsSequencesOfTheirOwn() throws IOException {
        try (TestServer server = TestServer.bundled()) {
            JsonNode two = server.post("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"temperature\":1,"
                    + "\"seed\":5,\"max_tokens\":12,\"n\":2}").body();
            JsonNode first = server.post("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"temperature\":1,"
                    + "\"seed\":5,\"max_tokens\":12}").body();
            JsonNode second = server.post("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"temperature\":1,"
                    + "\"seed\":6,\"max_tokens\":12}").body();
            assertThat(two.get("choices").get(0).get("message").get("content").asText())
                    .isEqualTo(first.get("choices").get(0).get("message").get("content").asText());
            assertThat(two.get("choices").get(1).get("message").get("content").asText())
                    .isEqualTo(second.get("choices").get(0).get("message").get("content").asText());
            assertThat(two.get("usage").get("completion_tokens").asInt()).isEqualTo(24);
        }
    }

    @Test
    void aGenerationPastTheRequestTimeoutEndsWithAnErrorTheClientSees() throws IOException {
        ApiServer api = TestServer.start(new ApiServer.Settings("127.0.0.1", 0, 1 << 20, Duration.ofSeconds(5)));
        api.serve(TestServer.services(api, LocalBackend.load(Map.of("stories260K", TestServer.BUNDLED_MODEL),
                new LocalBackend.Settings(0, 1, 16, 4, 0, Duration.ofNanos(1)))));
        try (TestServer server = new TestServer(api)) {
            TestServer.Reply reply = server.post("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"temperature\":0}");
            assertThat(reply.status()).isEqualTo(503);
            assertThat(reply.body().get("error").get("message").asText()).contains("timeout");
        }
    }
}

package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/** GET /metrics after a few requests on a fresh server: every count is this test's own. */
class MetricsTest {

    /** The value of the sample whose name and labels are exactly {@code series}. */
    private static double sample(String metrics, String series) {
        List<String> lines = metrics.lines().filter(line -> line.startsWith(series + " ")).toList();
        assertThat(lines).as("series " + series + " in\n" + metrics).hasSize(1);
        return Double.parseDouble(lines.getFirst().substring(series.length() + 1));
    }

    @Test
    void countsRequestsTokensAndLatencies() throws IOException, InterruptedException {
        try (TestServer server = TestServer.bundled()) {
            TestServer.Reply text = server.post("/v1/completions",
                    "{\"prompt\":\"Once upon a time\",\"temperature\":0,\"max_tokens\":10}");
            TestServer.Reply chat = server.post(
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"temperature\":0,\"max_tokens\":7}");
            List<String> streamed = server.stream("/v1/completions",
                    "{\"prompt\":\"Once\",\"temperature\":0,\"max_tokens\":5,\"stream\":true}");
            assertThat(streamed.getLast()).isEqualTo("[DONE]");
            assertThat(server.post("/v1/completions", "{\"prompt\":\"x\",\"nope\":1}").status()).isEqualTo(422);
            assertThat(server.get("/no/such/route").status()).isEqualTo(404);

            HttpResponse<String> reply = server.client.send(HttpRequest.newBuilder(server.uri("/metrics"))
                            .header("Authorization", "Bearer " + server.apiKey).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(reply.statusCode()).isEqualTo(200);
            assertThat(reply.headers().firstValue("content-type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("text/plain"));
            String metrics = reply.body();

            assertThat(sample(metrics, "souverain_http_requests_total{route=\"/v1/completions\",status=\"200\"}"))
                    .isEqualTo(2);
            assertThat(sample(metrics, "souverain_http_requests_total{route=\"/v1/completions\",status=\"422\"}"))
                    .isEqualTo(1);
            assertThat(sample(metrics, "souverain_http_requests_total{route=\"/v1/chat/completions\",status=\"200\"}"))
                    .isEqualTo(1);
            assertThat(sample(metrics, "souverain_http_requests_total{route=\"unmatched\",status=\"404\"}"))
                    .isEqualTo(1);

            int prompts = text.body().get("usage").get("prompt_tokens").asInt()
                    + chat.body().get("usage").get("prompt_tokens").asInt() + 2; // "Once": BOS and one token
            assertThat(sample(metrics, "souverain_prompt_tokens_total{model=\"stories260K\"}")).isEqualTo(prompts);
            assertThat(sample(metrics, "souverain_completion_tokens_total{model=\"stories260K\"}"))
                    .isEqualTo(10 + 7 + 5);

            assertThat(sample(metrics, "souverain_time_to_first_token_seconds_count{model=\"stories260K\"}"))
                    .isEqualTo(3);
            assertThat(sample(metrics, "souverain_time_to_first_token_seconds_bucket{model=\"stories260K\",le=\"+Inf\"}"))
                    .isEqualTo(3);
            assertThat(metrics).contains("souverain_inter_token_latency_seconds_bucket{model=\"stories260K\",le=");
            assertThat(sample(metrics, "souverain_queue_depth{model=\"stories260K\"}")).isZero();
            assertThat(sample(metrics, "souverain_active_sequences{model=\"stories260K\"}")).isZero();
        }
    }
}

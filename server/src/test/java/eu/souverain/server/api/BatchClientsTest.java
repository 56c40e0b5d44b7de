package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponse;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileDeleted;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The done-when of batch jobs: a client uploads a JSONL file, makes a job of it, polls it to its
 * end and downloads answers that match its custom_ids. OpenAI's official Java client does it with
 * its files and batches services. Mistral's Java clients (LangChain4j's, a test dependency) have
 * no files or batch API, so Mistral's shapes are driven over java.net.http, as Mistral documents
 * them.
 */
class BatchClientsTest {

    @TempDir
    Path dir;

    private static String lines(String url, boolean openAi) {
        StringBuilder jsonl = new StringBuilder();
        String[] prompts = {"Once upon a time", "The cat sat on the mat", "Tom and Sue went to the park"};
        for (int i = 0; i < prompts.length; i++) {
            jsonl.append("{\"custom_id\": \"request-").append(i).append('"')
                    .append(openAi ? ", \"method\": \"POST\", \"url\": \"" + url + "\"" : "")
                    .append(", \"body\": {\"model\": \"stories260K\", \"max_tokens\": 8, \"messages\": [{\"role\": \"user\","
                            + " \"content\": \"").append(prompts[i]).append("\"}]}}\n");
        }
        return jsonl.toString();
    }

    @Test
    void openAisJavaClientUploadsMakesABatchPollsItToCompletedAndDownloadsAnswersByCustomId() throws Exception {
        try (TestServer server = TestServer.bundled()) {
            OpenAIClient client = OpenAIOkHttpClient.builder()
                    .baseUrl("http://127.0.0.1:" + server.server.port() + "/v1")
                    .apiKey(server.apiKey)
                    .maxRetries(0)
                    .timeout(Duration.ofSeconds(30))
                    .responseValidation(true)
                    .build();
            Path input = Files.writeString(dir.resolve("requests.jsonl"), lines("/v1/chat/completions", true));
            FileObject file = client.files().create(FileCreateParams.builder().file(input).purpose(FilePurpose.BATCH)
                    .build());
            assertThat(file.filename()).isEqualTo("requests.jsonl");
            assertThat(file.bytes()).isEqualTo(Files.size(input));

            Batch batch = client.batches().create(BatchCreateParams.builder().inputFileId(file.id())
                    .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                    .completionWindow(BatchCreateParams.CompletionWindow._24H).build());
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!batch.status().equals(Batch.Status.COMPLETED) && System.nanoTime() < deadline) {
                assertThat(batch.status()).isIn(Batch.Status.VALIDATING, Batch.Status.IN_PROGRESS);
                Thread.sleep(100);
                batch = client.batches().retrieve(batch.id());
            }
            assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
            assertThat(batch.requestCounts().orElseThrow().completed()).isEqualTo(3);
            assertThat(batch.requestCounts().orElseThrow().failed()).isZero();
            assertThat(client.batches().list().data()).extracting(Batch::id).contains(batch.id());

            String output;
            try (HttpResponse content = client.files().content(batch.outputFileId().orElseThrow())) {
                output = new String(content.body().readAllBytes(), StandardCharsets.UTF_8);
            }
            Map<String, JsonNode> answers = BatchJobsTest.byCustomId(output);
            assertThat(answers.keySet()).containsExactlyInAnyOrder("request-0", "request-1", "request-2");
            for (JsonNode answer : answers.values()) {
                assertThat(answer.get("response").get("status_code").asInt()).isEqualTo(200);
                assertThat(answer.get("response").get("body").get("choices").get(0).get("message").get("content").asText())
                        .isNotEmpty();
            }
            FileDeleted deleted = client.files().delete(file.id());
            assertThat(deleted.deleted()).isTrue();
        }
    }

    @Test
    void mistralsShapesOverHttpUploadMakeAJobPollItToSuccessAndDownloadAnswersByCustomId() throws Exception {
        try (TestServer server = TestServer.bundled()) {
            TestServer.Reply uploaded = BatchJobsTest.upload(server, "requests.jsonl", "batch",
                    lines(null, false).getBytes(StandardCharsets.UTF_8));
            assertThat(uploaded.status()).isEqualTo(200);
            TestServer.Reply created = server.post("/v1/batch/jobs", """
                    {"input_files": ["%s"], "model": "stories260K", "endpoint": "/v1/chat/completions",
                     "metadata": {"job_type": "testing"}}""".formatted(uploaded.body().get("id").asText()));
            assertThat(created.status()).as(created.raw().body()).isEqualTo(200);
            assertThat(created.body().get("status").asText()).isEqualTo("QUEUED");
            JsonNode job = BatchJobsTest.await(server, "/v1/batch/jobs/" + created.body().get("id").asText(),
                    Set.of("SUCCESS", "FAILED"), Duration.ofSeconds(60));
            assertThat(job.get("status").asText()).isEqualTo("SUCCESS");
            assertThat(job.get("succeeded_requests").asInt()).isEqualTo(3);
            Map<String, JsonNode> answers = BatchJobsTest.byCustomId(BatchJobsTest.text(server,
                    "/v1/files/" + job.get("output_file").asText() + "/content"));
            assertThat(answers.keySet()).containsExactlyInAnyOrder("request-0", "request-1", "request-2");
            assertThat(BatchJobsTest.text(server, "/v1/files/" + job.get("error_file").asText() + "/content")).isEmpty();
        }
    }
}

package eu.souverain.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.server.tenancy.FirstStart;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A batch job survives its server's death: a real {@code serve} process is killed with SIGKILL in
 * the middle of a job, a new one started on the same data directory, and the job ends with every
 * line answered exactly once, the lines answered before the kill kept as they were.
 */
class BatchRestartTest {

    private static final Path HOME = Path.of("").toAbsolutePath().getParent();
    private static final Pattern READY = Pattern.compile("souverain: serving \\S+ at (http://127\\.0\\.0\\.1:\\d+/v1)");
    private static final Pattern KEY = Pattern.compile("API key:\\s*(\\S+)");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int LINES = 240;

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newHttpClient();

    private record Serving(Process process, String base) {}

    private Serving start() throws IOException {
        List<String> command = List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Dsouverain.home=" + HOME, "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "serve", "--port", "0", "--threads", "1", "--data", dir.resolve("data").toString());
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(dir.resolve("stdout-" + System.nanoTime()).toFile());
        builder.environment().put(FirstStart.OWNER_PASSWORD_VARIABLE, "correct horse battery staple");
        Process process = builder.start();
        BufferedReader stderr = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8));
        List<String> seen = new ArrayList<>();
        for (String line; (line = stderr.readLine()) != null; ) {
            seen.add(line);
            Matcher ready = READY.matcher(line);
            if (ready.find()) {
                Path log = dir.resolve("stderr-" + System.nanoTime());
                Thread.ofVirtual().start(() -> {
                    try {
                        Files.write(log, (Iterable<String>) stderr.lines()::iterator);
                    } catch (IOException e) {
                        // The process is gone: nothing more to keep.
                    }
                });
                return new Serving(process, ready.group(1));
            }
        }
        throw new AssertionError("serve never got ready: " + seen);
    }

    private JsonNode call(Serving s, String key, String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(s.base() + path))
                .header("Authorization", "Bearer " + key).timeout(Duration.ofSeconds(30));
        request = body == null ? request.method(method, HttpRequest.BodyPublishers.noBody())
                : request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private String content(Serving s, String key, String file) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(s.base() + "/files/" + file + "/content"))
                .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static Map<String, String> byCustomId(String jsonl) throws IOException {
        Map<String, String> lines = new HashMap<>();
        for (String line : jsonl.split("\n")) {
            if (!line.isBlank()) {
                String id = JSON.readTree(line).get("custom_id").asText();
                assertThat(lines.put(id, line)).as("custom_id %s written twice", id).isNull();
            }
        }
        return lines;
    }

    @Test
    void aJobCutByKillNineResumesOnRestartWithEveryLineAnsweredOnce() throws Exception {
        Serving first = start();
        String key;
        String id;
        String output;
        Map<String, String> beforeKill;
        try {
            key = firstKey();
            List<String> requests = new ArrayList<>();
            for (int i = 0; i < LINES; i++) {
                requests.add("{\"custom_id\": \"line-" + i + "\", \"body\": {\"max_tokens\": 150, \"seed\": " + i
                        + ", \"messages\": [{\"role\": \"user\", \"content\": \"Once upon a time, " + i + "\"}]}}");
            }
            JsonNode job = call(first, key, "POST", "/batch/jobs", "{\"endpoint\": \"/v1/chat/completions\","
                    + " \"model\": \"stories260K\", \"requests\": [" + String.join(",", requests) + "]}");
            id = job.get("id").asText();
            output = job.get("output_file").asText();
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            int done = 0;
            while (done < 10 && System.nanoTime() < deadline) {
                Thread.sleep(20);
                done = call(first, key, "GET", "/batch/jobs/" + id, null).get("completed_requests").asInt();
            }
            assertThat(done).as("lines done before the kill; %s", logs()).isBetween(10, LINES - 1);
            beforeKill = byCustomId(content(first, key, output));
            first.process().destroyForcibly();  // SIGKILL: no shutdown hook, no last write
            assertThat(first.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(first.process().exitValue()).isEqualTo(137);
        } finally {
            first.process().destroyForcibly();
        }
        assertThat(beforeKill).isNotEmpty().hasSizeLessThan(LINES);

        Serving second = start();
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos();
            JsonNode job = call(second, key, "GET", "/batch/jobs/" + id, null);
            while (!job.get("status").asText().equals("SUCCESS") && System.nanoTime() < deadline) {
                assertThat(job.get("status").asText()).isIn("QUEUED", "RUNNING");
                Thread.sleep(200);
                job = call(second, key, "GET", "/batch/jobs/" + id, null);
            }
            assertThat(job.get("status").asText()).isEqualTo("SUCCESS");
            assertThat(job.get("succeeded_requests").asInt()).as("%s %s", job, logs()).isEqualTo(LINES);
            assertThat(job.get("failed_requests").asInt()).isZero();
            Map<String, String> after = byCustomId(content(second, key, output));
            assertThat(after).hasSize(LINES);
            for (int i = 0; i < LINES; i++) {
                assertThat(after).containsKey("line-" + i);
            }
            // What was answered before the kill is kept as it was, not answered again.
            beforeKill.forEach((customId, line) -> assertThat(after.get(customId)).isEqualTo(line));
            assertThat(content(second, key, job.get("error_file").asText())).isEmpty();
        } finally {
            second.process().destroyForcibly();
            second.process().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private String logs() throws IOException {
        StringBuilder all = new StringBuilder();
        try (var files = Files.list(dir)) {
            for (Path log : files.filter(p -> p.getFileName().toString().startsWith("std")).toList()) {
                all.append(Files.readString(log));
            }
        }
        return all.toString();
    }

    private String firstKey() throws IOException {
        try (var files = Files.list(dir)) {
            for (Path out : files.filter(p -> p.getFileName().toString().startsWith("stdout-")).toList()) {
                Matcher key = KEY.matcher(Files.readString(out));
                if (key.find()) {
                    return key.group(1);
                }
            }
        }
        throw new AssertionError("the first start printed no API key");
    }
}

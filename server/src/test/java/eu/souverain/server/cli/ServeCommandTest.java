package eu.souverain.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `souverain serve` as an operator runs it: its own process, a free port, SIGTERM to stop. */
class ServeCommandTest {

    private static final Path HOME = Path.of("").toAbsolutePath().getParent();
    @TempDir
    Path dir;

    private static final Pattern READY = Pattern.compile("souverain: serving (\\S+) at (http://127\\.0\\.0\\.1:(\\d+)/v1)");

    /** A remote backend nothing listens for: declared, listed, and refused by the default residency policy. */
    private static final String BACKENDS = """
            {"backends": [{"name": "far", "kind": "openai-compatible", "base_url": "http://127.0.0.1:9/v1",
              "models": {"far-model": "llama"}, "location": {"operator": "Far Corp", "country": "US"}}]}""";

    @Test
    void servesTheBundledModelOnAFreePortAndStopsOnSigterm() throws Exception {
        Path backends = java.nio.file.Files.writeString(dir.resolve("backends.json"), BACKENDS);
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Dsouverain.home=" + HOME, "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "serve", "--port", "0", "--threads", "1", "--data", dir.resolve("data").toString(),
                "--country", "fr", "--operator", "Test Operator", "--backends", backends.toString(),
                "--audit-sink", "file:" + dir.resolve("sink/checkpoints.jsonl")));
        Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            BufferedReader stderr = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8));
            Matcher ready = null;
            List<String> seen = new ArrayList<>();
            for (String line; ready == null && (line = stderr.readLine()) != null; ) {
                seen.add(line);
                Matcher m = READY.matcher(line);
                if (m.find()) {
                    ready = m;
                }
            }
            assertThat(ready).as("stderr: %s", seen).isNotNull();
            assertThat(ready.group(1)).isEqualTo("stories260K");
            String base = ready.group(2);
            assertThat(Integer.parseInt(ready.group(3))).isPositive();

            StringBuilder rest = new StringBuilder();
            BufferedReader remaining = stderr;
            Thread drain = Thread.ofVirtual().start(() -> remaining.lines().forEach(line -> rest.append(line).append('\n')));

            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> models = client.send(HttpRequest.newBuilder(URI.create(base + "/models")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(models.statusCode()).isEqualTo(200);
            JsonNode list = new ObjectMapper().readTree(models.body());
            assertThat(list.get("data").get(0).get("id").asText()).isEqualTo("stories260K");
            HttpResponse<String> chat = client.send(HttpRequest.newBuilder(URI.create(base + "/chat/completions"))
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":8}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
            JsonNode local = new ObjectMapper().readTree(client.send(HttpRequest.newBuilder(
                    URI.create(base + "/models/stories260K")).build(), HttpResponse.BodyHandlers.ofString()).body());
            assertThat(local.get("location").get("country").asText()).isEqualTo("FR");
            assertThat(local.get("location").get("jurisdiction").asText()).isEqualTo("EU");
            assertThat(local.get("location").get("operator").asText()).isEqualTo("Test Operator");
            JsonNode far = new ObjectMapper().readTree(client.send(HttpRequest.newBuilder(
                    URI.create(base + "/models/far-model")).build(), HttpResponse.BodyHandlers.ofString()).body());
            assertThat(far.get("backend").asText()).isEqualTo("far");
            assertThat(far.get("location").get("jurisdiction").asText()).isEqualTo("US");
            HttpResponse<String> refused = client.send(HttpRequest.newBuilder(URI.create(base + "/chat/completions"))
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    "{\"model\":\"far-model\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(403);
            assertThat(refused.body()).contains("allows no remote backend; backend 'far' is remote");
            assertThat(seen).anyMatch(line -> line.contains("backend 'far' at http://127.0.0.1:9/v1 in US (US)"));
            assertThat(seen).anyMatch(line -> line.contains("local engine in FR (EU), operator Test Operator"));

            process.destroy();  // SIGTERM
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("stopped within 30 s").isTrue();
            // 143 = 128 + SIGTERM: the JVM ran its shutdown hooks and exited as a terminated process does.
            assertThat(process.exitValue()).isEqualTo(143);
            drain.join();
            assertThat(rest.toString()).doesNotContain("Exception").doesNotContain("ERROR");
            // The final audit checkpoint, written on the way out, reached the sink outside the database.
            List<String> checkpoints = Files.readAllLines(dir.resolve("sink/checkpoints.jsonl"));
            assertThat(checkpoints).hasSize(1);
            // One entry: the refused call to the remote backend.
            assertThat(new ObjectMapper().readTree(checkpoints.getFirst()).get("entry_count").asLong()).isOne();
            for (String key : List.of("master-key.json", "audit-signing-key.json")) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("data").resolve(key))))
                        .isEqualTo("rw-------");
            }
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void aMistakeInTheBackendsFileStopsServeWithOneLine() throws IOException {
        String[][] cases = {
            {"{\"backends\": [", "is not valid JSON"},
            {BACKENDS.replace("openai-compatible", "grpc"), "backend 'far': unknown kind 'grpc'"},
            {BACKENDS.replace("\"models\": {\"far-model\": \"llama\"}, ", ""), "backend 'far': needs 'models'"},
            {BACKENDS.replace("http://127.0.0.1:9/v1", "file:///etc/passwd"), "'base_url' must start with http://"},
            {BACKENDS.replace("http://127.0.0.1:9/v1", "https://admin:pw@10.0.0.1/v1"), "must not carry credentials"},
        };
        for (String[] c : cases) {
            Path file = java.nio.file.Files.writeString(dir.resolve("backends.json"), c[0]);
            java.io.StringWriter err = new java.io.StringWriter();
            int exit = Main.run(new String[] {"serve", "--port", "0", "--data", dir.resolve("data").toString(),
                    "--backends", file.toString()},
                    new java.io.PrintWriter(new java.io.StringWriter(), true), new java.io.PrintWriter(err, true));
            assertThat(exit).isEqualTo(1);
            assertThat(err.toString()).startsWith("error: backends file " + file).contains(c[1])
                    .doesNotContain("pw@").doesNotContain("Source:").hasLineCount(1);
        }
        assertThat(dir.resolve("data")).as("refused before the store is opened").doesNotExist();
    }

    @Test
    void twoModelsWithTheSameNameAreRefused() throws IOException {
        java.io.StringWriter err = new java.io.StringWriter();
        String model = HOME.resolve("models/stories260K.gguf").toString();
        int exit = Main.run(new String[] {"serve", "--port", "0", "--model", model, "--model", model},
                new java.io.PrintWriter(new java.io.StringWriter(), true), new java.io.PrintWriter(err, true));
        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).contains("two models are named 'stories260K'");
    }

    @Test
    void theHelpNamesTheBatchingFlags() {
        java.io.StringWriter out = new java.io.StringWriter();
        int exit = Main.run(new String[] {"serve", "--help"}, new java.io.PrintWriter(out, true),
                new java.io.PrintWriter(new java.io.StringWriter(), true));
        assertThat(exit).isZero();
        assertThat(out.toString()).contains("--max-sequences=N").contains("--kv-cache-mb=MB")
                .contains("--request-timeout=SECONDS").contains("(default: 8)").contains("(default: 600)");
    }

    @Test
    void aNegativeCacheBudgetIsRefused() {
        java.io.StringWriter err = new java.io.StringWriter();
        int exit = Main.run(new String[] {"serve", "--port", "0", "--kv-cache-mb", "-1"},
                new java.io.PrintWriter(new java.io.StringWriter(), true), new java.io.PrintWriter(err, true));
        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).contains("--kv-cache-mb must not be negative");
    }
}

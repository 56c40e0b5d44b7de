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
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import eu.souverain.server.tenancy.FirstStart;
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

    /** A started {@code serve}: its base URL, and what it has printed on stdout so far. */
    private record Started(Process process, String base, List<String> stdout, List<String> stderr,
                           StringBuilder restOfStdout, StringBuilder restOfStderr, List<Thread> drains) {
    }

    private Started start(Map<String, String> environment, String... flags) throws IOException {
        Path backends = Files.writeString(dir.resolve("backends.json"), BACKENDS);
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Dsouverain.home=" + HOME, "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "serve", "--port", "0", "--threads", "1", "--data", dir.resolve("data").toString(),
                "--country", "fr", "--operator", "Test Operator", "--backends", backends.toString(),
                "--audit-sink", "file:" + dir.resolve("sink/checkpoints.jsonl")));
        command.addAll(List.of(flags));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().remove(FirstStart.OWNER_PASSWORD_VARIABLE);
        builder.environment().putAll(environment);
        Process process = builder.start();
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
        assertThat(Integer.parseInt(ready.group(3))).isPositive();
        // The announcement, if any, is written before the models load, so it is all there by now.
        List<String> stdout = new ArrayList<>();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        while (out.ready()) {
            stdout.add(out.readLine());
        }
        StringBuilder restOfStdout = new StringBuilder();
        StringBuilder restOfStderr = new StringBuilder();
        // Drained as they come: stopping the process closes its pipes.
        List<Thread> drains = List.of(
                Thread.ofVirtual().start(() -> out.lines().forEach(line -> restOfStdout.append(line).append('\n'))),
                Thread.ofVirtual().start(() -> stderr.lines().forEach(line -> restOfStderr.append(line).append('\n'))));
        return new Started(process, ready.group(2), stdout, seen, restOfStdout, restOfStderr, drains);
    }

    private static void stop(Started started) throws Exception {
        started.process().destroy();  // SIGTERM
        assertThat(started.process().waitFor(30, TimeUnit.SECONDS)).as("stopped within 30 s").isTrue();
        // 143 = 128 + SIGTERM: the JVM ran its shutdown hooks and exited as a terminated process does.
        assertThat(started.process().exitValue()).isEqualTo(143);
        for (Thread drain : started.drains()) {
            drain.join();
        }
        assertThat(started.restOfStderr().toString()).doesNotContain("Exception").doesNotContain("ERROR");
    }

    private static String line(List<String> lines, String label) {
        return lines.stream().filter(l -> l.strip().startsWith(label)).findFirst()
                .map(l -> l.strip().substring(label.length()).strip())
                .orElseThrow(() -> new AssertionError("no '" + label + "' in " + lines));
    }

    @Test
    void firstStartPrintsTheOwnerAndAKeyOnceThenServesOnlyWithTheKeyAndStopsOnSigterm() throws Exception {
        Started first = start(Map.of(FirstStart.OWNER_PASSWORD_VARIABLE, "correct horse battery staple"));
        String key;
        try {
            assertThat(line(first.stdout(), "owner email:")).isEqualTo("owner@localhost");
            assertThat(line(first.stdout(), "owner password:")).isEqualTo("(from SOUVERAIN_OWNER_PASSWORD)");
            assertThat(String.join("\n", first.stdout())).doesNotContain("correct horse battery staple");
            key = line(first.stdout(), "API key:");
            assertThat(key).matches("sk-souv-key_[0-9A-Za-z]{17}_[0-9A-Za-z]{43}");

            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> anonymous = client.send(HttpRequest.newBuilder(URI.create(first.base() + "/models")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(anonymous.statusCode()).isEqualTo(401);
            HttpResponse<String> models = client.send(HttpRequest.newBuilder(URI.create(first.base() + "/models"))
                    .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(models.statusCode()).isEqualTo(200);
            JsonNode list = new ObjectMapper().readTree(models.body());
            assertThat(list.get("data").get(0).get("id").asText()).isEqualTo("stories260K");
            HttpResponse<String> chat = client.send(HttpRequest.newBuilder(URI.create(first.base() + "/chat/completions"))
                            .header("Authorization", "Bearer " + key)
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":8}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
            assertThat(list.get("data")).extracting(m -> m.get("id").asText()).contains("all-minilm-l6-v2");
            HttpResponse<String> embedded = client.send(HttpRequest.newBuilder(URI.create(first.base() + "/embeddings"))
                    .header("Authorization", "Bearer " + key)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"input\":\"Bonjour\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(embedded.statusCode()).as(embedded.body()).isEqualTo(200);
            assertThat(new ObjectMapper().readTree(embedded.body()).get("model").asText()).isEqualTo("all-minilm-l6-v2");
            assertThat(first.stderr()).anyMatch(line -> line.contains("(embeddings: all-minilm-l6-v2)"));
            JsonNode local = new ObjectMapper().readTree(client.send(HttpRequest.newBuilder(
                    URI.create(first.base() + "/models/stories260K")).header("Authorization", "Bearer " + key).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            assertThat(local.get("location").get("country").asText()).isEqualTo("FR");
            assertThat(local.get("location").get("jurisdiction").asText()).isEqualTo("EU");
            assertThat(local.get("location").get("operator").asText()).isEqualTo("Test Operator");
            JsonNode far = new ObjectMapper().readTree(client.send(HttpRequest.newBuilder(
                    URI.create(first.base() + "/models/far-model")).header("Authorization", "Bearer " + key).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            assertThat(far.get("backend").asText()).isEqualTo("far");
            assertThat(far.get("location").get("jurisdiction").asText()).isEqualTo("US");
            HttpResponse<String> refused = client.send(HttpRequest.newBuilder(URI.create(first.base() + "/chat/completions"))
                            .header("Authorization", "Bearer " + key)
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    "{\"model\":\"far-model\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(403);
            assertThat(refused.body()).contains("allows no remote backend; backend 'far' is remote");
            assertThat(first.stderr()).anyMatch(line -> line.contains("backend 'far' at http://127.0.0.1:9/v1 in US (US)"));
            assertThat(first.stderr()).anyMatch(line -> line.contains("local engine in FR (EU), operator Test Operator"));
            String root = first.base().substring(0, first.base().length() - "/v1".length());
            HttpResponse<String> login = client.send(HttpRequest.newBuilder(URI.create(root + "/auth/login"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"email\":\"owner@localhost\",\"password\":\"correct horse battery staple\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(login.statusCode()).as(login.body()).isEqualTo(200);
            // The running server's own view: its listener, its backends and the refusal above.
            String cookie = login.headers().firstValue("Set-Cookie").orElseThrow().split(";", 2)[0];
            HttpResponse<String> report = client.send(HttpRequest.newBuilder(URI.create(first.base() + "/sovereignty/report"))
                    .header("Cookie", cookie).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(report.statusCode()).as(report.body()).isEqualTo(200);
            JsonNode sovereignty = new ObjectMapper().readTree(report.body());
            assertThat(sovereignty.get("security").get("tls").get("listener").asText()).isEqualTo(first.base());
            assertThat(sovereignty.get("security").get("audit").get("chain_intact").asBoolean()).isTrue();
            assertThat(sovereignty.get("where").get("local_engine").get("operator").asText()).isEqualTo("Test Operator");
            JsonNode farUse = sovereignty.get("backends").get(1);
            assertThat(farUse.get("name").asText()).isEqualTo("far");
            assertThat(farUse.get("last_30_days").get("refused").asLong()).isEqualTo(1);
            assertThat(sovereignty.get("where").get("data").get(3).get("files").get(0).get("bytes").asLong()).isPositive();
            stop(first);
            // The final audit checkpoint, written on the way out, reached the sink outside the database.
            List<String> checkpoints = Files.readAllLines(dir.resolve("sink/checkpoints.jsonl"));
            assertThat(checkpoints).hasSize(1);
            assertThat(new ObjectMapper().readTree(checkpoints.getFirst()).get("entry_count").asLong()).isPositive();
            for (String file : List.of("master-key.json", "audit-signing-key.json")) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("data").resolve(file))))
                        .isEqualTo("rw-------");
            }
        } finally {
            first.process().destroyForcibly();
        }

        // A remote backend's model replaces the bundled one, which is then not loaded.
        Started second = start(Map.of(), "--embedding-model", "far-model");
        try {
            assertThat(second.stdout()).isEmpty();
            HttpResponse<String> models = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create(second.base() + "/models")).header("Authorization", "Bearer " + key).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(models.statusCode()).isEqualTo(200);
            assertThat(models.body()).doesNotContain("all-minilm-l6-v2");
            HttpResponse<String> embedded = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create(second.base() + "/embeddings")).header("Authorization", "Bearer " + key)
                            .POST(HttpRequest.BodyPublishers.ofString("{\"input\":\"Bonjour\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            // It went to the remote, which the default residency policy refuses.
            assertThat(embedded.statusCode()).as(embedded.body()).isEqualTo(403);
            assertThat(embedded.body()).contains("backend 'far' is remote");
            stop(second);
            assertThat(second.restOfStdout().toString()).isEmpty();
        } finally {
            second.process().destroyForcibly();
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
    void anEmbeddingModelNothingServesIsRefusedBeforeAnythingStarts() {
        java.io.StringWriter err = new java.io.StringWriter();
        int exit = Main.run(new String[] {"serve", "--port", "0", "--data", dir.resolve("data").toString(),
                "--embedding-model", "bge-m3"},
                new java.io.PrintWriter(new java.io.StringWriter(), true), new java.io.PrintWriter(err, true));
        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).contains("--embedding-model 'bge-m3' is served by no model file and no backend")
                .contains("all-minilm-l6-v2 (the bundled one), off, or one of stories260K").hasLineCount(1);
        assertThat(dir.resolve("data")).as("refused before the store is opened").doesNotExist();
    }

    @Test
    void aRerankModelNoRemoteBackendServesIsRefusedBeforeAnythingStarts() {
        java.io.StringWriter err = new java.io.StringWriter();
        int exit = Main.run(new String[] {"serve", "--port", "0", "--data", dir.resolve("data").toString(),
                "--rerank-model", "stories260K"},
                new java.io.PrintWriter(new java.io.StringWriter(), true), new java.io.PrintWriter(err, true));
        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).contains("--rerank-model 'stories260K' is served by no remote backend").hasLineCount(1);
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

    @Test
    void anEnergyFigureMustBeANonNegativeNumberForABackendServed() {
        java.io.StringWriter err = new java.io.StringWriter();
        int exit = Main.run(new String[] {"serve", "--port", "0", "--data", dir.resolve("data").toString(),
                "--energy-wh-per-1k-tokens", "local=-0.3"},
                new java.io.PrintWriter(new java.io.StringWriter(), true), new java.io.PrintWriter(err, true));
        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).contains("--energy-wh-per-1k-tokens local=-0.3: the figure must be a number of"
                + " watt-hours, at least 0");
        assertThat(dir.resolve("data")).as("refused before the store is opened").doesNotExist();

        err = new java.io.StringWriter();
        exit = Main.run(new String[] {"serve", "--port", "0", "--data", dir.resolve("data").toString(),
                "--model", HOME.resolve("models/stories260K.gguf").toString(), "--energy-wh-per-1k-tokens", "mistral=1.2"},
                new java.io.PrintWriter(new java.io.StringWriter(), true), new java.io.PrintWriter(err, true));
        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).contains("--energy-wh-per-1k-tokens names backend 'mistral', which is not served;"
                + " the backends are local");
    }
}

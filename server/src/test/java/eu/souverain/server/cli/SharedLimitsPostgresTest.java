package eu.souverain.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.server.store.TestPostgres;
import eu.souverain.server.tenancy.FirstStart;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Limits hold across server processes: two real {@code serve} processes on the same PostgreSQL
 * database share its counters, so that a burst of 50 concurrent requests, split between them,
 * against a limit of 10 a minute lets exactly 10 through; and the usage either reports is both's.
 */
class SharedLimitsPostgresTest {

    private static final Path HOME = Path.of("").toAbsolutePath().getParent();
    private static final Pattern READY = Pattern.compile("souverain: serving \\S+ at (http://127\\.0\\.0\\.1:\\d+/v1)");
    private static final Pattern KEY = Pattern.compile("API key:\\s*(sk-souv-(key_[0-9A-Za-z]+)_[0-9A-Za-z]+)");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TINY = """
            {"model": "stories260K", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1}""";

    @TempDir
    Path dir;

    /** A running {@code serve}: its base URL, what it printed on stdout before it was ready, and its drains. */
    private record Served(Process process, String base, List<String> stdout) {}

    private Served serve(String databaseUrl) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Dsouverain.home=" + HOME, "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "serve", "--port", "0", "--threads", "1", "--queue", "64",
                "--db", databaseUrl, "--data", dir.resolve("data").toString(), "--country", "fr");
        builder.environment().put(FirstStart.OWNER_PASSWORD_VARIABLE, "correct horse battery staple");
        Process process = builder.start();
        BufferedReader stderr = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8));
        List<String> seen = new ArrayList<>();
        String base = null;
        for (String line; base == null && (line = stderr.readLine()) != null; ) {
            seen.add(line);
            Matcher ready = READY.matcher(line);
            if (ready.find()) {
                base = ready.group(1);
            }
        }
        assertThat(base).as("stderr: %s", seen).isNotNull();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        List<String> stdout = new ArrayList<>();
        while (out.ready()) {
            stdout.add(out.readLine());
        }
        // Drained as they come, so that a full pipe never blocks the server.
        Thread.ofVirtual().start(() -> out.lines().forEach(line -> { }));
        Thread.ofVirtual().start(() -> stderr.lines().forEach(line -> { }));
        return new Served(process, base, stdout);
    }

    private static HttpResponse<String> send(HttpClient client, HttpRequest.Builder request, String key)
            throws IOException, InterruptedException {
        return client.send(request.header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aBurstOf50SplitBetweenTwoServeProcessesOnOnePostgresLetsExactly10Through() throws Exception {
        String database = TestPostgres.freshDatabaseUrl();
        Served first = serve(database);
        Served second = null;
        try {
            Matcher key = KEY.matcher(String.join("\n", first.stdout()));
            assertThat(key.find()).as("the first start's key in %s", first.stdout()).isTrue();
            String secret = key.group(1);
            second = serve(database);
            assertThat(second.stdout()).as("the second process finds the store made").isEmpty();

            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> set = send(client, HttpRequest.newBuilder(URI.create(first.base()
                    + "/admin/limits/key/" + key.group(2))).PUT(HttpRequest.BodyPublishers.ofString(
                    "{\"requests_per_minute\": 10}")), secret);
            assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
            // The burst stays in one minute window: it starts early in a minute.
            long intoMinute = Instant.now().getEpochSecond() % 60;
            if (intoMinute > 40) {
                Thread.sleep(Duration.ofSeconds(61 - intoMinute));
            }

            List<String> bases = List.of(first.base(), second.base());
            CountDownLatch start = new CountDownLatch(1);
            List<Future<HttpResponse<String>>> replies = new ArrayList<>();
            try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 50; i++) {
                    String base = bases.get(i % 2);
                    replies.add(clients.submit(() -> {
                        start.await();
                        return send(client, HttpRequest.newBuilder(URI.create(base + "/chat/completions"))
                                .POST(HttpRequest.BodyPublishers.ofString(TINY)), secret);
                    }));
                }
                start.countDown();
            }
            int through = 0;
            int refused = 0;
            List<Integer> throughEach = new ArrayList<>(List.of(0, 0));
            for (int i = 0; i < replies.size(); i++) {
                HttpResponse<String> reply = replies.get(i).get();
                if (reply.statusCode() == 200) {
                    through++;
                    throughEach.set(i % 2, throughEach.get(i % 2) + 1);
                } else {
                    assertThat(reply.statusCode()).as(reply.body()).isEqualTo(429);
                    assertThat(reply.headers().firstValue("Retry-After")).isPresent();
                    refused++;
                }
            }
            assertThat(through).as("through, by process: %s", throughEach).isEqualTo(10);
            assertThat(refused).isEqualTo(40);

            // Either process reports every call of both: ten completed, forty refused.
            for (String base : bases) {
                JsonNode usage = JSON.readTree(send(client, HttpRequest.newBuilder(URI.create(base
                        + "/usage?group_by=outcome")).GET(), secret).body());
                assertThat(usage.at("/totals/requests").asLong()).isEqualTo(50);
                assertThat(usage.get("data")).anySatisfy(row -> {
                    assertThat(row.get("group").asText()).isEqualTo("refused");
                    assertThat(row.get("requests").asLong()).isEqualTo(40);
                });
            }
        } finally {
            for (Served served : second == null ? List.of(first) : List.of(first, second)) {
                served.process().destroy();
                if (!served.process().waitFor(30, TimeUnit.SECONDS)) {
                    served.process().destroyForcibly();
                }
            }
        }
    }
}

package eu.souverain.server.cli;

import eu.souverain.server.api.TestServices;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import eu.souverain.server.api.ApiServer;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.backends.LocalBackend;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.FirstStart;
import eu.souverain.server.tenancy.Tenancy;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `souverain loadtest` against a real server on loopback, and against servers that misbehave on purpose. */
class LoadtestCommandTest {

    private static final Path MODEL = Path.of("").toAbsolutePath().getParent().resolve("models/stories260K.gguf");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static ApiServer server;
    private static String base;
    private static String key;
    private static Database database;

    @TempDir
    static Path store;

    record Run(int exit, String out, String err) {
        JsonNode report() throws IOException {
            assertThat(out.lines()).as("stdout: %s, stderr: %s", out, err).hasSize(1);
            return JSON.readTree(out);
        }
    }

    @BeforeAll
    static void startServer() throws IOException {
        database = Database.sqlite(store.resolve(Database.SQLITE_FILE));
        Tenancy tenancy = new Tenancy(database, new AuditLog(database, Clock.systemUTC()), Clock.systemUTC());
        key = FirstStart.run(tenancy, "load", "owner@load.invalid", null).orElseThrow().apiKey();
        server = ApiServer.start(new ApiServer.Settings("127.0.0.1", 0, 1 << 20, Duration.ofSeconds(5)), tenancy);
        server.serve(TestServices.of(server, tenancy, database, store, Clock.systemUTC(),
                LocalBackend.load(Map.of("stories260K", MODEL), 0, 1, 16)));
        base = "http://127.0.0.1:" + server.port();
    }

    @AfterAll
    static void stopServer() {
        server.close();
        database.close();
    }

    @Test
    void reportsEveryRequestOfARealServer() throws IOException {
        Run run = loadtest("--api-key", key, "--url", base + "/v1", "--model", "stories260K", "--concurrency", "3", "--requests", "7",
                "--warmup", "1", "--prompt-tokens", "12", "--shared-prefix-tokens", "8", "--max-tokens", "6", "--json");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode report = run.report();
        assertThat(report.get("url").asText()).isEqualTo(base + "/v1/chat/completions");
        assertThat(report.get("concurrency").asInt()).isEqualTo(3);
        assertThat(report.get("requests").asInt()).isEqualTo(7);
        assertThat(report.get("completed").asInt()).isEqualTo(7);
        assertThat(report.get("failed").asInt()).isZero();
        assertThat(report.get("errors").size()).isZero();
        JsonNode usage = report.get("usage");
        // Greedy decoding of this model runs to max_tokens; a stop would make the count smaller, never larger.
        assertThat(usage.get("completion_tokens").asLong()).isBetween(7L, 7L * 6);
        // Each word is at least one token of this small vocabulary, and the template adds some.
        assertThat(usage.get("prompt_tokens").asLong()).isGreaterThan(7L * 12);
        // One request at a time on one state: each prompt reuses at least the shared words from the one before.
        assertThat(usage.get("cached_prompt_tokens").asLong()).isGreaterThanOrEqualTo(7L * 8);
        assertThat(report.get("wall_s").asDouble()).isPositive();
        assertThat(report.get("generation_tokens_per_s").asDouble())
                .isCloseTo(usage.get("completion_tokens").asDouble() / report.get("wall_s").asDouble(),
                        org.assertj.core.data.Percentage.withPercentage(0.01));
        assertThat(report.get("requests_per_s").asDouble()).isCloseTo(7 / report.get("wall_s").asDouble(),
                org.assertj.core.data.Percentage.withPercentage(0.01));
        JsonNode ttft = report.get("ttft_ms");
        assertThat(ttft.get("p50").asDouble()).isPositive();
        assertThat(ttft.get("p95").asDouble()).isGreaterThanOrEqualTo(ttft.get("p50").asDouble());
        assertThat(ttft.get("p99").asDouble()).isGreaterThanOrEqualTo(ttft.get("p95").asDouble());
        JsonNode itl = report.get("itl_ms");
        assertThat(itl.get("p50").isNumber()).isTrue();
        assertThat(itl.get("p99").asDouble()).isGreaterThanOrEqualTo(itl.get("p50").asDouble());
        assertThat(run.err()).contains("warm-up 1/1: done");
    }

    @Test
    void theReportWithoutJsonNamesEachFigure() {
        Run run = loadtest("--api-key", key, "--url", base, "--model", "stories260K", "--requests", "2", "--prompt-tokens", "4",
                "--max-tokens", "3");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("requests: 2 completed, 0 failed in ")
                .contains("generation: ").contains("time to first token: p50 ").contains("inter-token latency: p50 ")
                .doesNotContain("errors:");
    }

    @Test
    void aModelTheServerDoesNotHaveIsCountedAs404s() throws IOException {
        Run run = loadtest("--api-key", key, "--url", base, "--model", "no-such-model", "--requests", "3", "--concurrency", "2", "--json");
        assertThat(run.exit()).isEqualTo(1);
        JsonNode report = run.report();
        assertThat(report.get("completed").asInt()).isZero();
        assertThat(report.get("failed").asInt()).isEqualTo(3);
        assertThat(report.get("errors")).isEqualTo(JSON.readTree("{\"http_404\":3}"));
        assertThat(report.get("ttft_ms").get("p50").isNull()).isTrue();
        assertThat(report.get("generation_tokens_per_s").asDouble()).isZero();
        assertThat(run.err()).contains("http_404: ").contains("no-such-model");
    }

    @Test
    void aClosedPortIsCountedAsConnectionErrors() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Run run = loadtest("--url", "http://127.0.0.1:" + port, "--model", "m", "--requests", "2", "--json");
        assertThat(run.exit()).isEqualTo(1);
        JsonNode report = run.report();
        assertThat(report.get("errors")).isEqualTo(JSON.readTree("{\"connection\":2}"));
        assertThat(run.err()).contains("connection: connection refused");
    }

    @Test
    void aServerThatNeverAnswersIsCountedAsTimeouts() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress())) {
            List<Socket> held = new CopyOnWriteArrayList<>();
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        held.add(silent.accept());
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
            Run run = loadtest("--url", "http://127.0.0.1:" + silent.getLocalPort(), "--model", "m", "--requests", "2",
                    "--concurrency", "2", "--timeout", "1", "--json");
            assertThat(run.exit()).isEqualTo(1);
            assertThat(run.report().get("errors")).isEqualTo(JSON.readTree("{\"timeout\":2}"));
            for (Socket socket : held) {
                socket.close();
            }
        }
    }

    @Test
    void streamsThatFailOrStallAreCountedByKindAndPiecesAreCountedWithoutUsage() throws Exception {
        // A scripted OpenAI-style server: the real one cannot be made to send these on cue.
        List<JsonNode> bodies = new CopyOnWriteArrayList<>();
        CountDownLatch testOver = new CountDownLatch(1);
        HttpServer scripted = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        scripted.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        scripted.createContext("/v1/chat/completions", exchange -> {
            JsonNode body = JSON.readTree(exchange.getRequestBody());
            bodies.add(body);
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                String piece = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"},\"finish_reason\":null}]}\n\n";
                out.write("data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
                        .getBytes(StandardCharsets.UTF_8));
                out.write(piece.formatted("Hello").getBytes(StandardCharsets.UTF_8));
                out.flush();
                switch (body.get("seed").asInt() % 4) {
                    case 0 -> out.write((piece.formatted(" there") + piece.formatted("!")
                            + "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
                            + "data: [DONE]\n\n").getBytes(StandardCharsets.UTF_8));
                    case 1 -> out.write("data: {\"error\":{\"message\":\"the generation failed\",\"type\":\"server_error\"}}\n\n"
                            .getBytes(StandardCharsets.UTF_8));
                    case 2 -> {
                        out.flush();
                        testOver.await();  // stalls mid-stream until the client gives up
                    }
                    default -> { }  // closes without finishing
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        scripted.start();
        try {
            Run run = loadtest("--url", "http://127.0.0.1:" + scripted.getAddress().getPort() + "/v1/chat/completions",
                    "--model", "m", "--requests", "8", "--concurrency", "4", "--timeout", "1", "--api-key", "k",
                    "--prompt-tokens", "10", "--shared-prefix-tokens", "6", "--max-tokens", "5", "--json");
            assertThat(run.exit()).isEqualTo(1);
            JsonNode report = run.report();
            assertThat(report.get("completed").asInt()).isEqualTo(2);
            assertThat(report.get("errors")).isEqualTo(JSON.readTree(
                    "{\"stream_error\":2,\"stream_incomplete\":2,\"timeout\":2}"));
            // No usage chunk: the three content pieces of each completed answer are the tokens.
            assertThat(report.get("usage").get("completion_tokens").asInt()).isEqualTo(6);
            assertThat(run.err()).contains("stream_error: the generation failed");

            assertThat(bodies).hasSize(8);
            List<String> prompts = new ArrayList<>();
            for (JsonNode body : bodies) {
                assertThat(body.get("stream").asBoolean()).isTrue();
                assertThat(body.get("temperature").asDouble()).isZero();
                assertThat(body.get("max_tokens").asInt()).isEqualTo(5);
                assertThat(body.get("model").asText()).isEqualTo("m");
                prompts.add(body.get("messages").get(0).get("content").asText());
            }
            assertThat(bodies.stream().map(b -> b.get("seed").asInt()).sorted().toList())
                    .containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
            String shared = String.join(" ", List.of(prompts.getFirst().split(" ")).subList(0, 6));
            assertThat(prompts).allSatisfy(p -> {
                assertThat(p.split(" ")).hasSize(10);
                assertThat(p).startsWith(shared + " ");
            });
            assertThat(prompts).doesNotHaveDuplicates();
        } finally {
            testOver.countDown();
            scripted.stop(0);
        }
    }

    @Test
    void theApiKeyIsSentAsABearerToken() throws Exception {
        List<String> authorizations = new CopyOnWriteArrayList<>();
        HttpServer scripted = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        scripted.createContext("/v1/chat/completions", exchange -> {
            authorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
            exchange.getRequestBody().readAllBytes();
            byte[] refusal = "{\"error\":{\"message\":\"bad key\"}}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(401, refusal.length);
            exchange.getResponseBody().write(refusal);
            exchange.close();
        });
        scripted.start();
        try {
            Run run = loadtest("--url", "http://127.0.0.1:" + scripted.getAddress().getPort(), "--model", "m",
                    "--requests", "1", "--api-key", "sk-test", "--json");
            assertThat(run.report().get("errors")).isEqualTo(JSON.readTree("{\"http_401\":1}"));
            assertThat(authorizations).containsExactly("Bearer sk-test");
            assertThat(run.err()).contains("http_401: bad key");
        } finally {
            scripted.stop(0);
        }
    }

    @Test
    void badFlagsGetOneLineNamingTheProblem() {
        assertOneLineError(loadtest("--model", "m"), "--url");
        assertOneLineError(loadtest("--api-key", key, "--url", base, "--model", "m", "--concurrency", "0"), "--concurrency must be at least 1, was 0");
        assertOneLineError(loadtest("--api-key", key, "--url", base, "--model", "m", "--prompt-tokens", "8", "--shared-prefix-tokens", "9"),
                "--shared-prefix-tokens 9 is more than --prompt-tokens 8");
        assertOneLineError(loadtest("--url", "ftp://example.org", "--model", "m"), "not an http:// or https:// URL");
        assertOneLineError(loadtest("--api-key", key, "--url", base, "--model", "m", "--requests", "many"), "'many' is not an int");
    }

    private static void assertOneLineError(Run run, String message) {
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.out()).isEmpty();
        assertThat(run.err().lines()).hasSize(1);
        assertThat(run.err()).startsWith("error: ").contains(message).contains("loadtest --help");
    }

    @Test
    void percentilesAreNearestRank() {
        long[] nanos = {1_000_000, 2_000_000, 3_000_000, 4_000_000};
        assertThat(LoadtestCommand.percentileMillis(nanos, 50)).isEqualTo(2.0);
        assertThat(LoadtestCommand.percentileMillis(nanos, 95)).isEqualTo(4.0);
        assertThat(LoadtestCommand.percentileMillis(new long[] {7_000_000}, 99)).isEqualTo(7.0);
        assertThat(LoadtestCommand.percentileMillis(new long[0], 50)).isNull();
    }

    private static Run loadtest(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] command = new String[args.length + 1];
        command[0] = "loadtest";
        System.arraycopy(args, 0, command, 1, args.length);
        int exit = Main.run(command, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }
}

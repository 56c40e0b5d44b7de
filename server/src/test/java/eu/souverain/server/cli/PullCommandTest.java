package eu.souverain.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pull} and {@code models} against a stand-in hub on loopback: a real HTTP server with the
 * hub's tree and model APIs and resolve URLs that redirect to a second server, the content host,
 * which answers range requests and can cut a transfer or corrupt it.
 */
class PullCommandTest {

    private static final Path HOME = Path.of("").toAbsolutePath().getParent();
    private static final String TOKEN = "hf_good_token";

    @TempDir
    Path dir;

    private byte[] model;
    private String sha256;
    private HttpServer hub;
    private HttpServer content;
    /** What the content host does with the next transfer: "whole", "cut" or "corrupt". */
    private volatile String mode = "whole";
    private final List<String> hubAuthorizations = Collections.synchronizedList(new ArrayList<>());
    private final List<String> contentRequests = Collections.synchronizedList(new ArrayList<>());

    record Run(int exit, String out, String err) {}

    @BeforeEach
    void startTheHubAndItsContentHost() throws Exception {
        model = Files.readAllBytes(HOME.resolve("models/stories260K.gguf"));
        sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(model));
        InetAddress loopback = InetAddress.getLoopbackAddress();
        content = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        content.createContext("/blobs/", this::blob);
        content.start();
        hub = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        hub.createContext("/", this::hub);
        hub.start();
    }

    @AfterEach
    void stop() {
        hub.stop(0);
        content.stop(0);
    }

    private String hubUrl() {
        return "http://127.0.0.1:" + hub.getAddress().getPort();
    }

    private void hub(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        hubAuthorizations.add(String.valueOf(authorization));
        boolean gated = path.contains("acme/gated");
        if (gated && !("Bearer " + TOKEN).equals(authorization)) {
            send(exchange, 401, "{\"error\":\"Access to model acme/gated is restricted.\"}");
            return;
        }
        String lfs = "{\"oid\":\"" + sha256 + "\",\"size\":" + model.length + ",\"pointerSize\":134}";
        if (path.matches("/api/models/acme/[^/]+/tree/main")) {
            send(exchange, 200, "[{\"type\":\"file\",\"oid\":\"0123abcd\",\"size\":1200,\"path\":\"README.md\"},"
                    + "{\"type\":\"directory\",\"oid\":\"4567\",\"size\":0,\"path\":\"docs\"},"
                    + "{\"type\":\"file\",\"oid\":\"89ab\",\"size\":" + model.length + ",\"path\":\"stories-F32.gguf\",\"lfs\":" + lfs + "},"
                    + "{\"type\":\"file\",\"oid\":\"cdef\",\"size\":" + model.length + ",\"path\":\"stories-Q8_0.gguf\",\"lfs\":" + lfs + "}]");
        } else if (path.matches("/api/models/acme/[^/]+")) {
            send(exchange, 200, "{\"id\":\"acme/stories-GGUF\",\"cardData\":{\"license\":\"apache-2.0\",\"language\":[\"en\"]}}");
        } else if (path.matches("/acme/[^/]+/resolve/main/stories-(F32|Q8_0)\\.gguf")) {
            exchange.getResponseHeaders().add("Location", "http://127.0.0.1:" + content.getAddress().getPort()
                    + "/blobs/" + sha256);
            exchange.getResponseHeaders().add("X-Linked-Etag", "\"" + sha256 + "\"");
            exchange.getResponseHeaders().add("X-Linked-Size", String.valueOf(model.length));
            exchange.sendResponseHeaders(302, -1);
            exchange.close();
        } else {
            send(exchange, 404, "{\"error\":\"Repository not found\"}");
        }
    }

    private void blob(HttpExchange exchange) throws IOException {
        String range = exchange.getRequestHeaders().getFirst("Range");
        contentRequests.add("range=" + range + " authorization=" + exchange.getRequestHeaders().getFirst("Authorization"));
        int from = range == null ? 0 : Integer.parseInt(range.replaceAll("bytes=(\\d+)-", "$1"));
        byte[] body = java.util.Arrays.copyOfRange(model, from, model.length);
        if (mode.equals("corrupt")) {
            body[body.length / 2] ^= 0x5a;
        }
        if (from > 0) {
            exchange.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (model.length - 1) + "/" + model.length);
        }
        exchange.getResponseHeaders().add("ETag", "\"" + sha256 + "\"");
        exchange.sendResponseHeaders(from > 0 ? 206 : 200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            if (mode.equals("cut")) {
                out.write(body, 0, body.length / 3);
                out.flush();
                // The connection drops mid-transfer.
                exchange.getHttpContext().getServer().stop(0);
                return;
            }
            out.write(body);
        }
    }

    private static void send(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    private Path models() {
        return dir.resolve("models");
    }

    @Test
    void pullsByQuantizationResumesAfterACutConnectionAndListsTheModel() throws Exception {
        mode = "cut";
        Run cut = run("pull", "acme/stories-GGUF:Q8_0", "--hub", hubUrl(), "--models-dir", models().toString());
        assertThat(cut.exit()).isEqualTo(1);
        assertThat(cut.err().lines().filter(l -> l.startsWith("error: "))).singleElement().asString()
                .contains("was cut after").contains("run the same pull again to resume it");
        Path part = models().resolve("stories-Q8_0.gguf.part");
        long kept = Files.size(part);
        assertThat(kept).isPositive().isLessThan(model.length);
        assertThat(models().resolve("stories-Q8_0.gguf")).doesNotExist();

        // The content host comes back on the same port.
        int port = content.getAddress().getPort();
        content = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        content.createContext("/blobs/", this::blob);
        content.start();
        mode = "whole";
        Run resumed = run("pull", "acme/stories-GGUF:Q8_0", "--hub", hubUrl(), "--models-dir", models().toString());
        assertThat(resumed.exit()).as(resumed.err()).isZero();
        assertThat(resumed.out().strip()).isEqualTo(models().resolve("stories-Q8_0.gguf").toString());
        assertThat(resumed.err()).contains("resuming stories-Q8_0.gguf").contains("100%").contains("ETA");
        assertThat(contentRequests.getLast()).startsWith("range=bytes=" + kept + "- ");
        assertThat(Files.readAllBytes(models().resolve("stories-Q8_0.gguf"))).isEqualTo(model);
        assertThat(part).doesNotExist();
        JsonNode about = new ObjectMapper().readTree(models().resolve("stories-Q8_0.gguf.json").toFile());
        assertThat(about.get("sha256").asText()).isEqualTo(sha256);
        assertThat(about.get("licence").asText()).isEqualTo("apache-2.0");
        assertThat(about.get("repo").asText()).isEqualTo("acme/stories-GGUF");
        assertThat(about.get("card").get("language").get(0).asText()).isEqualTo("en");

        Run listed = run("models", "--models-dir", models().toString());
        assertThat(listed.exit()).as(listed.err()).isZero();
        assertThat(listed.out().lines()).hasSize(2);
        assertThat(listed.out().lines().skip(1).findFirst().orElseThrow()).startsWith("stories-Q8_0 ")
                .contains("llama").contains("apache-2.0").contains(sha256).contains("MiB");

        assertThat(run("models", "rm", "stories-Q8_0", "--models-dir", models().toString()).exit()).isZero();
        assertThat(models().resolve("stories-Q8_0.gguf")).doesNotExist();
        assertThat(models().resolve("stories-Q8_0.gguf.json")).doesNotExist();
        Run again = run("models", "rm", "stories-Q8_0", "--models-dir", models().toString());
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).hasLineCount(1).contains("no model 'stories-Q8_0'");
    }

    @Test
    void aCorruptedTransferIsRefusedAndLeavesNothing() {
        mode = "corrupt";
        Run run = run("pull", "acme/stories-GGUF:stories-F32.gguf", "--hub", hubUrl(), "--models-dir", models().toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err().lines().filter(l -> l.startsWith("error: "))).singleElement().asString()
                .contains("arrived corrupted").contains(sha256).contains("run the pull again");
        assertThat(models().resolve("stories-F32.gguf")).doesNotExist();
        assertThat(models().resolve("stories-F32.gguf.part")).doesNotExist();
    }

    @Test
    void aGatedRepositoryAsksForATokenWhichGoesToTheHubOnly() throws Exception {
        Run refused = run("pull", "acme/gated:Q8_0", "--hub", hubUrl(), "--models-dir", models().toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).hasLineCount(1).contains("acme/gated is gated or private (HTTP 401)")
                .contains("HF_TOKEN");

        List<String> command = List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "pull", "acme/gated:Q8_0", "--hub", hubUrl(), "--models-dir", models().toString());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("HF_TOKEN", TOKEN);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(Files.readAllBytes(models().resolve("stories-Q8_0.gguf"))).isEqualTo(model);
        assertThat(hubAuthorizations).contains("Bearer " + TOKEN);
        assertThat(contentRequests).isNotEmpty().allMatch(request -> request.endsWith("authorization=null"));
    }

    @Test
    void aRepositoryWithSeveralGgufFilesWantsOneNamed() {
        Run run = run("pull", "acme/stories-GGUF", "--hub", hubUrl(), "--models-dir", models().toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).hasLineCount(1).contains("has 2 GGUF files")
                .contains("stories-F32.gguf, stories-Q8_0.gguf");
        Run missing = run("pull", "acme/nothing-here:Q4_K_M", "--hub", hubUrl(), "--models-dir", models().toString());
        assertThat(missing.err()).contains("has no GGUF file matching 'Q4_K_M'");
        Run bad = run("pull", "not a repo", "--hub", hubUrl(), "--models-dir", models().toString());
        assertThat(bad.err()).hasLineCount(1).contains("is not OWNER/REPO[:FILE|:QUANT]");
    }

    @Test
    void serveTakesAModelByNameAndRefusesOneThatWillNotFitWithTheArithmetic() throws Exception {
        Files.createDirectories(models());
        try (var huge = new java.io.RandomAccessFile(models().resolve("huge.gguf").toFile(), "rw")) {
            huge.setLength(1L << 40);  // sparse: a terabyte of weights takes no disk
        }
        Run run = run("serve", "--model", "huge", "--models-dir", models().toString(), "--kv-cache-mb", "1024",
                "--port", "0", "--data", dir.resolve("data").toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).hasLineCount(1).contains("huge will not fit in memory: 1024.0 GiB of weights + 1.0 GiB of"
                + " key/value cache (--kv-cache-mb) + 0.5 GiB for the runtime = 1025.5 GiB, and this machine has")
                .contains("choose a smaller quantization");
        assertThat(dir.resolve("data")).doesNotExist();

        Run catalogue = run("models", "--catalogue");
        assertThat(catalogue.exit()).isZero();
        assertThat(catalogue.out()).contains("mistral-7b-instruct").contains("Mistral 7B Instruct v0.3")
                .contains("bartowski/Mistral-7B-Instruct-v0.3-GGUF:Q4_K_M").contains("llama-3.1-8b-instruct");
    }
}

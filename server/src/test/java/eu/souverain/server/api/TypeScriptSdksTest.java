package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import eu.souverain.server.backends.SentenceEmbeddingModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The official TypeScript SDKs of Mistral ({@code @mistralai/mistralai}) and OpenAI ({@code
 * openai}) against a real server on loopback: the Node tests in {@code src/test/node}, run by
 * Node's own test runner with the server's address and key in the environment. Both SDKs validate
 * what they read, so a field they need that is missing fails there. The packages come from npm at
 * test time, pinned by the committed lock file ({@code npm ci}), and stay in the ignored {@code
 * node_modules} until the lock file changes. Without Node.js the test fails, saying what to install.
 */
class TypeScriptSdksTest {

    /** Surefire runs in server/. */
    private static final Path PROJECT = Path.of("src", "test", "node");
    private static final long TIMEOUT_MINUTES = 8;

    @Test
    void theOfficialTypeScriptSdksPassTheirChecks() throws Exception {
        requireNode();
        installPackages();
        try (TestServer server = TestServer.withSentenceEmbeddings()) {
            ProcessBuilder node = new ProcessBuilder("node", "--test", "--test-reporter=tap").directory(PROJECT.toFile())
                    .redirectErrorStream(true);
            node.environment().put("SOUVERAIN_URL", "http://127.0.0.1:" + server.server.port());
            node.environment().put("SOUVERAIN_API_KEY", server.apiKey);
            node.environment().put("SOUVERAIN_MODEL", "stories260K");
            node.environment().put("SOUVERAIN_EMBEDDING_MODEL", SentenceEmbeddingModel.BUNDLED);
            Run run = run(node);
            assertThat(run.exit).as("node --test failed:%n%s", run.output).isZero();
            assertThat(count(run.output, "pass")).as(run.output).isGreaterThanOrEqualTo(22);
            assertThat(count(run.output, "fail")).as(run.output).isZero();
        }
    }

    private static void requireNode() throws InterruptedException {
        String missing = "the TypeScript SDK tests need Node.js 20 or newer and npm on the PATH; install them with"
                + " 'apt-get install -y nodejs npm'";
        try {
            Run version = run(new ProcessBuilder("node", "--version").redirectErrorStream(true));
            Matcher major = Pattern.compile("v(\\d+)\\.").matcher(version.output);
            if (version.exit != 0 || !major.find() || Integer.parseInt(major.group(1)) < 20) {
                throw new AssertionError("node --version said '" + version.output.strip() + "': " + missing);
            }
        } catch (IOException e) {
            throw new AssertionError("node is missing: " + missing, e);
        }
    }

    /** {@code npm ci} when node_modules is missing or older than the lock file. */
    private static void installPackages() throws IOException, InterruptedException {
        Path lock = PROJECT.resolve("package-lock.json");
        Path installed = PROJECT.resolve("node_modules/.package-lock.json");
        if (Files.exists(installed) && !Files.getLastModifiedTime(installed).toInstant()
                .isBefore(Files.getLastModifiedTime(lock).toInstant())) {
            return;
        }
        Run ci = run(new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund", "--prefer-offline")
                .directory(PROJECT.toFile()).redirectErrorStream(true));
        assertThat(ci.exit).as("npm ci failed (the packages come from the npm registry):%n%s", ci.output).isZero();
        Files.setLastModifiedTime(installed, FileTime.from(java.time.Instant.now()));
    }

    private record Run(int exit, String output) {}

    private static Run run(ProcessBuilder builder) throws IOException, InterruptedException {
        Path log = Files.createTempFile("souverain-node", ".log");
        try {
            Process process = builder.redirectOutput(log.toFile()).start();
            if (!process.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                process.destroyForcibly().waitFor();
                throw new AssertionError(String.join(" ", builder.command()) + " ran past " + TIMEOUT_MINUTES
                        + " minutes:\n" + Files.readString(log, StandardCharsets.UTF_8));
            }
            return new Run(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.delete(log);
        }
    }

    /** The TAP summary's count of tests that passed or failed. */
    private static int count(String tap, String outcome) {
        Matcher line = Pattern.compile("^# " + outcome + " (\\d+)$", Pattern.MULTILINE).matcher(tap);
        List<Integer> counts = line.results().map(m -> Integer.parseInt(m.group(1))).toList();
        if (counts.isEmpty()) {
            throw new AssertionError("no '# " + outcome + "' line in node's report:\n" + tap);
        }
        return counts.getLast();
    }
}

package eu.souverain.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.engine.TestFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line as a user runs it: real model files, real processes where it matters. */
class CliTest {

    /** The project root, where the bundled model lives (surefire runs in server/). */
    private static final Path HOME = Path.of("").toAbsolutePath().getParent();

    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {}

    @BeforeAll
    static void useTheBundledModel() {
        System.setProperty("souverain.home", HOME.toString());
    }

    @Test
    void generateWritesOnlyTheGreedyContinuationToStdout() throws IOException {
        JsonNode golden = new ObjectMapper().readTree(
                TestFiles.shared("models/golden/stories260K-once-upon-a-time.json").toFile());
        Run run = process(null, "generate", "--prompt", "Once upon a time", "--temperature", "0",
                "--max-tokens", "64", "--threads", "2");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).isEqualTo(golden.get("continuation").asText() + "\n");
        assertThat(run.err()).contains("generated: 64 tokens").contains("finish: length");
    }

    @Test
    void aSeedMakesSamplingReproducible() {
        String[] args = {"generate", "-p", "Once upon a time", "--temperature", "1.0", "--seed", "42", "-n", "40", "-t", "1"};
        Run first = inProcess(args);
        Run second = inProcess(args);
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(second.out()).isEqualTo(first.out());
        args[7] = "43";
        assertThat(inProcess(args).out()).isNotEqualTo(first.out());
    }

    @Test
    void anUnknownFlagGetsOneLineAndExitCode2() {
        Run run = inProcess("generate", "--prompt", "x", "--temprature", "0");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.out()).isEmpty();
        assertThat(run.err().lines()).hasSize(1);
        assertThat(run.err()).contains("--temprature").contains("generate --help");
    }

    @Test
    void aMissingModelFileIsNamed() {
        Run run = inProcess("generate", "--model", dir.resolve("nope.gguf").toString(), "--prompt", "x");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err().lines()).containsExactly("error: file not found: " + dir.resolve("nope.gguf"));
    }

    @Test
    void aCorruptModelFileGetsOneClearLine() throws IOException {
        Path corrupt = dir.resolve("corrupt.gguf");
        Files.write(corrupt, "GGUF this is not a model at all".getBytes(StandardCharsets.UTF_8));
        Run run = inProcess("generate", "--model", corrupt.toString(), "--prompt", "x");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err().lines()).hasSize(1);
        assertThat(run.err()).startsWith("error: ").contains("offset");
        Path notGguf = dir.resolve("text.gguf");
        Files.writeString(notGguf, "hello");
        Run inspect = inProcess("inspect", "--model", notGguf.toString());
        assertThat(inspect.exit()).isEqualTo(1);
        assertThat(inspect.err().lines()).hasSize(1);
    }

    @Test
    void inspectDescribesTheBundledModel() {
        Run run = inProcess("inspect", "--model", HOME.resolve("models/stories260K.gguf").toString());
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out())
                .contains("architecture: llama")
                .contains("shape: embedding 64, 5 layers, 8 heads (4 kv, head size 8), feed-forward 172, vocabulary 512, context 512")
                .contains("tokenizer.ggml.model: STRING = \"llama\"")
                .contains("tokenizer.ggml.tokens: ARRAY = [\"<unk>\", \"<s>\", \"</s>\"")
                .contains("blk.4.ffn_down.weight")
                .contains("tensor types: F32 48");
    }

    @Test
    void perplexityEndsWithItsValue() throws IOException {
        Path text = dir.resolve("story.txt");
        Files.writeString(text, ("Once upon a time, there was a little girl named Lily. She loved to play outside in the park. "
                + "One day, she saw a big, red ball. She wanted to play with it, but it was too high. ").repeat(8));
        Run run = inProcess("perplexity", "--file", text.toString(), "--context", "64", "-t", "1");
        assertThat(run.exit()).as(run.err()).isZero();
        List<String> lines = run.out().lines().toList();
        assertThat(lines.getLast()).matches("perplexity: \\d+\\.\\d{4}");
        double ppl = Double.parseDouble(lines.getLast().substring("perplexity: ".length()));
        // The model wrote this very text greedily: it must find it far likelier than chance (512).
        assertThat(ppl).isBetween(1.0, 20.0);
        assertThat(run.err()).contains("windows of 64");
    }

    @Test
    void perplexityNeedsAtLeastOneWindow() throws IOException {
        Path text = dir.resolve("short.txt");
        Files.writeString(text, "Once upon a time");
        Run run = inProcess("perplexity", "--file", text.toString(), "--context", "64");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("fewer than one window of 64");
    }

    @Test
    void chatAnswersEachLineAndReusesTheConversationSoFar() throws IOException {
        Run run = process("Hello there\nTell me a story\n/exit\n", "chat", "--temperature", "0", "-n", "16", "-t", "1");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).isNotBlank();
        List<String> turns = run.err().lines().filter(line -> line.startsWith("prompt: ")).toList();
        assertThat(turns).hasSize(2);
        assertThat(turns.get(0)).contains("(0 cached)");
        // The second turn's prompt starts with the first turn's, which the state still holds.
        assertThat(turns.get(1)).containsPattern("\\([1-9]\\d* cached\\)");
    }

    /** Only the command run is built in full: the others are outlines, which the usage text must not show. */
    @Test
    void theUsageListsEveryCommandAndTheOneAskedForIsShownInFull() {
        Run usage = inProcess("--help");
        assertThat(usage.exit()).isZero();
        for (Class<?> command : Main.COMMANDS) {
            CommandLine.Command annotation = command.getAnnotation(CommandLine.Command.class);
            String[] summary = annotation.header().length > 0 ? annotation.header() : annotation.description();
            List<String> words = List.of(summary[0].split(" "));
            String opening = String.join(" ", words.subList(0, Math.min(3, words.size())));
            assertThat(usage.out()).contains("\n  " + annotation.name() + " ").contains(opening);
        }
        Run keys = inProcess("help", "keys");
        assertThat(keys.out()).contains("Usage: souverain keys").contains("create").contains("revoke")
                .isEqualTo(inProcess("keys", "--help").out());
        Run unknown = inProcess("genrate");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("'genrate'");
    }

    private static Run inProcess(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    /** Runs the CLI in its own JVM, as the launcher does, feeding {@code stdin} if given. */
    private Run process(String stdin, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Dsouverain.home=" + HOME, "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        command.addAll(List.of(args));
        Path out = dir.resolve("stdout.txt");
        Path err = dir.resolve("stderr.txt");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        Process process = builder.start();
        try (var input = process.getOutputStream()) {
            if (stdin != null) {
                input.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        try {
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("the CLI did not finish within 120 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        return new Run(process.exitValue(), Files.readString(out), Files.readString(err).lines()
                .filter(line -> !line.startsWith("WARNING: Using incubator modules"))
                .reduce("", (a, b) -> a + b + "\n"));
    }
}

package eu.souverain.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Failures a person can act on: one line saying what is wrong and what to do. */
class CliErrorsTest {

    private static final Path HOME = Path.of("").toAbsolutePath().getParent();
    private static final Path BUNDLED = HOME.resolve("models/stories260K.gguf");

    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {}

    @BeforeAll
    static void useTheBundledModel() {
        System.setProperty("souverain.home", HOME.toString());
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    private static void oneLine(Run run, String... parts) {
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err().lines()).hasSize(1);
        assertThat(run.err()).startsWith("error: ").contains(parts);
    }

    @Test
    void serveOnAPortInUseNamesThePort() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            Run run = run("serve", "--port", String.valueOf(port), "--data", dir.resolve("data").toString());
            oneLine(run, "port " + port + " on 127.0.0.1 is in use", "--port 0");
        }
    }

    @Test
    void aFileThatIsNotGgufIsNamedAsSuch() throws IOException {
        Path text = Files.writeString(dir.resolve("notes.gguf"), "Once upon a time there was a text file.\n");
        Run generate = run("generate", "--model", text.toString(), "--prompt", "x");
        oneLine(generate, text + " is not a GGUF model file", "./souverain inspect --model " + text);
        Run serve = run("serve", "--model", text.toString(), "--port", "0", "--data", dir.resolve("data").toString());
        oneLine(serve, text + " is not a GGUF model file", "./souverain inspect --model " + text);
    }

    @Test
    void aTruncatedFileIsCalledTruncated() throws IOException {
        byte[] model = Files.readAllBytes(BUNDLED);
        for (int length : new int[] {12, 2_000, model.length / 2, model.length - 1}) {
            Path cut = Files.write(dir.resolve("cut-" + length + ".gguf"), Arrays.copyOf(model, length));
            Run run = run("generate", "--model", cut.toString(), "--prompt", "x");
            oneLine(run, cut + " is truncated", "download it again", "./souverain inspect --model " + cut);
        }
    }

    @Test
    void anUnsupportedArchitectureIsNamedWithTheFile() throws IOException {
        byte[] model = Files.readAllBytes(BUNDLED);
        byte[] key = "general.architecture".getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(model, key) + key.length + 4 + 8;  // the value's type and length come first
        System.arraycopy("bloom".getBytes(StandardCharsets.US_ASCII), 0, model, at, 5);
        Path bloom = Files.write(dir.resolve("bloom.gguf"), model);
        Run run = run("generate", "--model", bloom.toString(), "--prompt", "x");
        oneLine(run, bloom + " holds a model Souverain cannot run", "architecture 'bloom'",
                "./souverain inspect --model " + bloom);
        Run serve = run("serve", "--model", "other=" + BUNDLED, "--model", bloom.toString(), "--port", "0", "--data",
                dir.resolve("data").toString());
        oneLine(serve, bloom + " holds a model Souverain cannot run", "./souverain inspect --model " + bloom);
    }

    private static int indexOf(byte[] data, byte[] part) {
        outer:
        for (int i = 0; i + part.length <= data.length; i++) {
            for (int j = 0; j < part.length; j++) {
                if (data[i + j] != part[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}

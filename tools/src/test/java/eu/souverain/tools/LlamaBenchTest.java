package eu.souverain.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * llama-bench's side of {@code bench --llama-bench}: a stand-in program (a shell script) takes its
 * place, records the arguments it was given and prints JSON in llama-bench's shape.
 */
class LlamaBenchTest {

    /** Two tests as llama-bench prints them with -o json (fields trimmed to those that matter here). */
    private static final String TWO_TESTS = """
            [
              {"build_commit": "c392e509", "model_filename": "m.gguf", "n_threads": 2,
               "n_prompt": 512, "n_gen": 0, "avg_ns": 3000000000, "stddev_ns": 1000, "avg_ts": 170.5, "stddev_ts": 1.5},
              {"build_commit": "c392e509", "model_filename": "m.gguf", "n_threads": 2,
               "n_prompt": 0, "n_gen": 64, "avg_ns": 1600000000, "stddev_ns": 1000, "avg_ts": 40.25, "stddev_ts": 0.5}
            ]
            """;

    @TempDir
    Path dir;

    private Path standIn(String body) throws IOException {
        Path script = dir.resolve("llama-bench");
        Files.writeString(script, "#!/bin/sh\n" + body, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }

    @Test
    void runsThePeerOnTheSameFileThreadsAndSizesAndReadsBothFigures() throws Exception {
        Path arguments = dir.resolve("arguments");
        Path peer = standIn("echo \"$@\" > '" + arguments + "'\ncat <<'END'\n" + TWO_TESTS + "END\n");
        LlamaBench.Result result = LlamaBench.run(peer, Path.of("/models/m.gguf"), 2, 512, 64, 3);
        assertThat(Files.readString(arguments).strip()).isEqualTo("-m /models/m.gguf -t 2 -p 512 -n 64 -r 3 -o json");
        assertThat(result).isEqualTo(new LlamaBench.Result("c392e509", 170.5, 40.25));
    }

    @Test
    void aFailingPeerIsReportedWithItsStatusAndLastErrorLines() throws Exception {
        Path peer = standIn("echo 'error: failed to load model' >&2\nexit 1\n");
        assertThatThrownBy(() -> LlamaBench.run(peer, Path.of("m.gguf"), 1, 8, 4, 1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("status 1").hasMessageContaining("failed to load model");
    }

    @Test
    void outputWithoutTheAskedTestsIsRefused() {
        assertThatThrownBy(() -> LlamaBench.parse(TWO_TESTS, 128, 64))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("pp128");
        assertThatThrownBy(() -> LlamaBench.parse("main: error", 512, 64))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no JSON");
    }

    @Test
    void aPathThatIsNoProgramIsRefusedBeforeRunning() {
        assertThatThrownBy(() -> LlamaBench.run(dir.resolve("absent"), Path.of("m.gguf"), 1, 8, 4, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not an executable");
    }
}

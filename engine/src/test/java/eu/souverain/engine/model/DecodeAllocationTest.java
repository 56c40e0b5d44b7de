package eu.souverain.engine.model;

import static org.assertj.core.api.Assertions.assertThat;

import eu.souverain.engine.TestFiles;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A compiled decode step allocates nothing, alone or batched, on the caller or the forward
 * workers: a kernel that falls back to boxed vectors (10-100 times slower) or a stray buffer per
 * step shows up here as bytes, not as a slow benchmark someone has to notice. Runs in a fresh JVM
 * that compiles in the foreground ({@code -Xbatch}), as {@code DeterminismTest} does for the
 * kernels alone, so that the other tests' profiles cannot decide what C2 does.
 */
class DecodeAllocationTest {

    private static final int WARM_UP_SECONDS = 90;

    @Test
    void aCompiledDecodeStepAllocatesNothing() throws Exception {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.add("-Xbatch");
        String modules = System.getProperty("jdk.module.path");
        String classPath = modules == null ? System.getProperty("java.class.path")
                : modules + File.pathSeparator + System.getProperty("java.class.path");
        // The vector kernels from the first step: their scalar stand-ins allocate nothing either.
        command.addAll(List.of("--add-modules", "jdk.incubator.vector", "-Dsouverain.kernels.cold-start=false",
                "-cp", classPath,
                DecodeStepAllocations.class.getName(),
                TestFiles.shared("models/stories260K.gguf").toString(), String.valueOf(WARM_UP_SECONDS)));
        Process child = new ProcessBuilder(command).start();
        try {
            assertThat(child.waitFor(WARM_UP_SECONDS + 60, TimeUnit.SECONDS)).as("the child finished").isTrue();
            String errors = new String(child.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(child.exitValue()).as("exit status (3: still allocating); its errors:%n%s", errors).isZero();
        } finally {
            child.destroyForcibly();
        }
    }
}

package eu.souverain.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every kernel gives the same bits whether the JIT has compiled it or not: a seeded sampler then
 * produces the same text on every run. Compared here: a child JVM that warms each kernel up until
 * C2 has compiled it, and checks that the compiled kernels allocate nothing, against a child JVM
 * that only interprets ({@code -Xint}), which runs the Vector API's Java fallback code.
 *
 * <p>The compiled side runs in a fresh JVM, as the engine does in production, not in the test
 * JVM: there the other tests' calls (heap, mapped and native segments through the same kernels)
 * leave profiles that sometimes had C2 recompile a kernel past its inlining node budget and box
 * its final sum, and whether it did depended on which tests ran before. It compiles in the
 * foreground ({@code -Xbatch}): on a loaded machine background compilation fell so far behind
 * that a kernel's share of the warm-up ran out before C2 had compiled it.
 */
class DeterminismTest {

    // Generous: the warm-up ends as soon as every kernel is compiled; only a loaded machine needs long.
    private static final int WARM_UP_SECONDS = 90;

    @Test
    void kernelsGiveTheSameBitsCompiledAsInterpreted() throws Exception {
        Process interpreted = start(List.of("-Xint"), List.of());
        Process compiled = start(List.of("-Xbatch"), List.of("--warm-up", String.valueOf(WARM_UP_SECONDS)));
        try {
            List<String> compiledLines = finish(compiled, "the compiled JVM (status 3: kernels running boxed)");
            List<String> interpretedLines = finish(interpreted, "the -Xint JVM");
            assertThat(interpretedLines).as("fingerprints with -Xint").isEqualTo(compiledLines);
        } finally {
            interpreted.destroyForcibly();
            compiled.destroyForcibly();
        }
    }

    /** The child's lines once it has exited with status 0. */
    private static List<String> finish(Process child, String name) throws Exception {
        assertThat(child.waitFor(WARM_UP_SECONDS + 60, TimeUnit.SECONDS)).as("%s finished", name).isTrue();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String errors = new String(child.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.exitValue()).as("exit status of %s; its errors:%n%s", name, errors).isZero();
        return output.lines().toList();
    }

    /** A child JVM with {@code jvmOptions} running {@link KernelFingerprints} with {@code arguments}. */
    private static Process start(List<String> jvmOptions, List<String> arguments) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(jvmOptions);
        // The engine's tests run patched into its module: the child takes the module path's jars as its class path.
        String modules = System.getProperty("jdk.module.path");
        String classPath = modules == null ? System.getProperty("java.class.path")
                : modules + File.pathSeparator + System.getProperty("java.class.path");
        // The vector kernels from the first call, not their scalar stand-ins (ScalarKernelsTest checks those).
        command.addAll(List.of("--add-modules", "jdk.incubator.vector", "-Dsouverain.kernels.cold-start=false",
                "-cp", classPath,
                KernelFingerprints.class.getName()));
        command.addAll(arguments);
        return new ProcessBuilder(command).start();
    }
}

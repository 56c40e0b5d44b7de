package eu.souverain.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.ThreadMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every kernel gives the same bits whether the JIT has compiled it or not: a seeded sampler then
 * produces the same text on every run. Compared here: this JVM after warming each kernel until
 * C2 has compiled it, against a child JVM that only interprets ({@code -Xint}), which runs the
 * Vector API's Java fallback code.
 */
class DeterminismTest {

    private static final ThreadMXBean THREADS = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    // Generous: the loop ends as soon as every kernel is compiled; only a loaded machine needs long.
    private static final long WARM_UP_NANOS = TimeUnit.SECONDS.toNanos(90);

    @Test
    void kernelsGiveTheSameBitsCompiledAsInterpreted() throws Exception {
        Process interpreted = startInterpreted();
        try {
            List<KernelFingerprints.Kernel> kernels = new KernelFingerprints().kernels();
            warmUp(kernels);
            List<String> compiled = KernelFingerprints.fingerprints(kernels);

            assertThat(interpreted.waitFor(60, TimeUnit.SECONDS)).as("the -Xint JVM finished").isTrue();
            String output = new String(interpreted.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String errors = new String(interpreted.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(interpreted.exitValue()).as("-Xint JVM exit status; its errors:%n%s", errors).isZero();
            assertThat(output.lines().toList()).as("fingerprints with -Xint").isEqualTo(compiled);
        } finally {
            interpreted.destroyForcibly();
        }
    }

    /**
     * Calls each kernel until a hundred calls in a row allocate nothing, which happens only once
     * C2 has compiled it with the Vector API intrinsics (the interpreter and C1 box every vector):
     * so the comparison is against C2's code, and the kernels stay allocation-free when compiled.
     */
    private static void warmUp(List<KernelFingerprints.Kernel> kernels) {
        long deadline = System.nanoTime() + WARM_UP_NANOS;
        List<String> allocating = new ArrayList<>();
        for (KernelFingerprints.Kernel kernel : kernels) {
            long allocated;
            do {
                long before = THREADS.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 100; i++) {
                    kernel.call().run();
                }
                allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
            } while (allocated > 0 && System.nanoTime() < deadline);
            if (allocated > 0) {
                allocating.add(kernel.name() + ": " + allocated / 100 + " bytes per call");
            }
        }
        assertThat(allocating).as("kernels still allocating after warm-up").isEmpty();
    }

    private static Process startInterpreted() throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        return new ProcessBuilder(java, "-Xint", "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), KernelFingerprints.class.getName())
                .start();
    }
}

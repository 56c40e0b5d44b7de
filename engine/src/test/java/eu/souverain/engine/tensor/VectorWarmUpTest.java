package eu.souverain.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.ThreadMXBean;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The warm-up finds when C2 has compiled the vector kernels, well before its time limit, and they
 * then run without boxing a vector. In a fresh JVM, as a command starts one: in the test JVM,
 * other tests may have compiled the kernels already.
 */
class VectorWarmUpTest {

    @Test
    void theVectorKernelsAreCompiledOnceTheWarmUpEnds() throws Exception {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        String modules = System.getProperty("jdk.module.path");
        String classPath = modules == null ? System.getProperty("java.class.path")
                : modules + File.pathSeparator + System.getProperty("java.class.path");
        command.addAll(List.of("--add-modules", "jdk.incubator.vector", "-cp", classPath, Child.class.getName()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertThat(child.waitFor(120, TimeUnit.SECONDS)).as("the child JVM finished").isTrue();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.exitValue()).as(output).isZero();
        List<String> lines = output.lines().filter(line -> !line.startsWith("WARNING")).toList();
        assertThat(lines).as(output).hasSize(2);
        assertThat(lines.get(0)).isEqualTo("cold before: true");
        assertThat(lines.get(1)).matches("compiled \\d+ ms, cold after: false, boxing: false");
        // The limit is 30 s: a warm-up that ended there found nothing.
        assertThat(Long.parseLong(lines.get(1).split(" ")[1])).as(output).isLessThan(20_000);
    }

    /** Runs in the child JVM. */
    static final class Child {
        public static void main(String[] args) throws InterruptedException {
            System.out.println("cold before: " + VectorWarmUp.cold(64, 64));
            long start = System.nanoTime();
            VectorWarmUp.awaitCompiled();
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
            float[] a = new float[525];
            float[] b = new float[525];
            java.util.Arrays.fill(a, 0.5f);
            java.util.Arrays.fill(b, 2f);
            // The warm-up compiled them on its own thread; here they run compiled. The least of
            // three batches: on a loaded machine C2 may deoptimize a kernel for a length the
            // warm-up did not run and box one batch while it recompiles (seen once in CI); a
            // kernel that is not compiled boxes in every batch.
            long perCall = Long.MAX_VALUE;
            for (int batch = 0; batch < 3; batch++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 100; i++) {
                    b[i] = ArrayMath.dot(a, 0, b, 0, 525);
                    ArrayMath.softmax(a, 0, 525);
                }
                perCall = Math.min(perCall, (threads.getCurrentThreadAllocatedBytes() - before) / 200);
            }
            System.out.println("compiled " + millis + " ms, cold after: " + VectorWarmUp.cold(64, 64)
                    + ", boxing: " + (perCall >= 1024));
        }
    }
}

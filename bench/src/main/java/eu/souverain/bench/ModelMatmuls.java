package eu.souverain.bench;

import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.gguf.TensorInfo;
import eu.souverain.engine.tensor.Matrix;
import eu.souverain.engine.tensor.PreparedVector;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The matrix products of one decode step of a GGUF model, on one thread: every matrix but the
 * token embedding times {@code count} random vectors at once, as a decode step of that many
 * sequences runs them. Timed in the thread's CPU time, not wall time, so that the figures hold on
 * a machine shared with other work: other processes take turns on the core but do not add to the
 * thread's CPU time (they still share its caches and the memory bus).
 *
 * <pre>java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar eu.souverain.bench.ModelMatmuls MODEL.gguf [COUNT...]</pre>
 *
 * <p>For each count (default 1, 4 and 8): the best of 10 passes after 3 warm-up passes, in
 * milliseconds of CPU time per pass, GB/s of weights and sequence-tokens per second (count per
 * pass), the bound a decode step on one thread would meet if the products were all it did.
 */
public final class ModelMatmuls {

    private static final int WARM_UP = 3;
    private static final int PASSES = 10;

    private ModelMatmuls() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: ModelMatmuls MODEL.gguf [COUNT...]");
            System.exit(2);
        }
        List<Integer> counts = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            counts.add(Integer.parseInt(args[i]));
        }
        if (counts.isEmpty()) {
            counts = List.of(1, 4, 8);
        }
        try (GGUFFile file = GGUFFile.open(Path.of(args[0]))) {
            List<Matrix> matrices = new ArrayList<>();
            long bytes = 0;
            for (TensorInfo tensor : file.tensors()) {
                if (tensor.shape().length == 2 && !tensor.name().equals("token_embd.weight")) {
                    matrices.add(Matrix.of(tensor.type(), file.data(tensor), (int) tensor.rows(), (int) tensor.columns()));
                    bytes += tensor.byteSize();
                }
            }
            System.out.printf("%s: %d matrices, %.1f MB of weights%n", file.path().getFileName(), matrices.size(), bytes / 1e6);
            for (int count : counts) {
                long nanos = bestPass(matrices, count);
                System.out.printf("%d vectors: %.1f ms CPU per pass, %.2f GB/s, %.1f tokens/s%n",
                        count, nanos / 1e6, bytes / (double) nanos, count * 1e9 / nanos);
            }
        }
    }

    private static long bestPass(List<Matrix> matrices, int count) {
        SplittableRandom random = new SplittableRandom(count);
        PreparedVector[][] inputs = new PreparedVector[matrices.size()][count];
        float[][] outputs = new float[matrices.size()][];
        for (int m = 0; m < matrices.size(); m++) {
            Matrix matrix = matrices.get(m);
            for (int v = 0; v < count; v++) {
                float[] x = new float[matrix.cols()];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) random.nextGaussian();
                }
                inputs[m][v] = PreparedVector.of(x, 0, x.length);
            }
            outputs[m] = new float[count * matrix.rows()];
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long best = Long.MAX_VALUE;
        for (int pass = 0; pass < WARM_UP + PASSES; pass++) {
            long start = threads.getCurrentThreadCpuTime();
            for (int m = 0; m < matrices.size(); m++) {
                Matrix matrix = matrices.get(m);
                if (count == 1) {
                    matrix.matmul(inputs[m][0], outputs[m], 0, 0, matrix.rows());
                } else {
                    matrix.matmul(inputs[m], count, outputs[m], matrix.rows(), 0, matrix.rows());
                }
            }
            long nanos = threads.getCurrentThreadCpuTime() - start;
            if (pass >= WARM_UP) {
                best = Math.min(best, nanos);
            }
        }
        return best;
    }
}

package eu.souverain.bench;

import eu.souverain.engine.tensor.GGMLType;
import eu.souverain.engine.tensor.Matrix;
import eu.souverain.engine.tensor.PreparedVector;
import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One thread's product of a 2048 x 2048 matrix (TinyLlama's attention shape, 2.4 to 8.4 MiB) with
 * {@code count} vectors at once, as a batched decode step of that many sequences runs it. The
 * time per operation over {@code count} is the cost per sequence: it falls as long as decoding a
 * block of weights once for several vectors pays.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MultiVectorMatmulBenchmark {

    @Param({"Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    String type;

    @Param({"1", "4", "8"})
    int count;

    private static final int N = 2048;

    private Arena arena;
    private Matrix matrix;
    private PreparedVector[] xs;
    private float[] out;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        matrix = Weights.matrix(arena, GGMLType.valueOf(type), N, N, 1);
        xs = new PreparedVector[count];
        for (int v = 0; v < count; v++) {
            xs[v] = PreparedVector.of(Weights.gaussian(N, 2 + v), 0, N);
        }
        out = new float[count * N];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float[] matmul() {
        matrix.matmul(xs, count, out, N, 0, N);
        return out;
    }
}

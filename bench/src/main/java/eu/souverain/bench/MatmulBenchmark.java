package eu.souverain.bench;

import eu.souverain.engine.tensor.GGMLType;
import eu.souverain.engine.tensor.Matrix;
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
 * One thread's matrix-vector products, per weight type: {@code dot} is one row of 4096 (in cache,
 * so it measures the kernel's arithmetic), {@code matmul} a whole 4096 x 4096 matrix (8 to 64 MiB,
 * larger than the caches, so it measures how close one thread gets to memory speed). Divide the
 * matrix's bytes by the time for GB/s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MatmulBenchmark {

    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"})
    String type;

    private static final int N = 4096;

    private Arena arena;
    private Matrix matrix;
    private float[] x;
    private float[] out;
    private int row;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        matrix = Weights.matrix(arena, GGMLType.valueOf(type), N, N, 1);
        x = Weights.gaussian(N, 2);
        out = new float[N];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float dot() {
        row = (row + 1) & 63;   // a few rows, all in cache
        return matrix.dot(row, x, 0);
    }

    @Benchmark
    public float[] matmul() {
        matrix.matmul(x, 0, out, 0, 0, N);
        return out;
    }
}

package eu.souverain.bench;

import eu.souverain.engine.tensor.BlockMatmul;
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
 * One thread's product of TinyLlama's feed-forward up matrix (5632 x 2048) with a prompt pass of
 * 64 tokens, as prompt processing runs it: every strip of rows decoded once, then multiplied with
 * every token in 4 x 4 tiles. 738 M multiply-adds per operation: divide by the time for the rate,
 * and set it against {@code bench}'s float multiply-add rate for one thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class BlockMatmulBenchmark {

    @Param({"F16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    String type;

    private static final int ROWS = 5632;
    private static final int COLS = 2048;
    private static final int TOKENS = 64;

    private Arena arena;
    private Matrix matrix;
    private PreparedVector[] xs;
    private float[] out;
    private float[] scratch;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        matrix = Weights.matrix(arena, GGMLType.valueOf(type), ROWS, COLS, 1);
        float[] x = Weights.gaussian(TOKENS * COLS, 2);
        xs = new PreparedVector[TOKENS];
        for (int t = 0; t < TOKENS; t++) {
            xs[t] = PreparedVector.of(x, t * COLS, COLS);
        }
        out = new float[TOKENS * ROWS];
        scratch = new float[BlockMatmul.scratchLength(COLS)];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float[] matmulBlock() {
        matrix.matmulBlock(xs, TOKENS, out, 0, ROWS, scratch);
        return out;
    }
}

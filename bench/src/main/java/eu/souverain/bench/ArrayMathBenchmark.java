package eu.souverain.bench;

import eu.souverain.engine.tensor.ArrayMath;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The small per-token operations of the forward pass at real widths: RMSNorm over the embedding,
 * SwiGLU over the feed-forward width, softmax over the attended positions.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ArrayMathBenchmark {

    /** Mistral 7B's embedding and feed-forward widths. */
    @Param({"4096"})
    int embedding;

    @Param({"14336"})
    int feedForward;

    @Param({"512", "4096"})
    int positions;

    private float[] x;
    private float[] weight;
    private float[] out;
    private float[] gateSource;
    private float[] gate;
    private float[] up;
    private float[] scores;

    @Setup
    public void setUp() {
        x = Weights.gaussian(embedding, 1);
        weight = Weights.gaussian(embedding, 2);
        out = new float[embedding];
        gateSource = Weights.gaussian(feedForward, 3);
        gate = new float[feedForward];
        up = Weights.gaussian(feedForward, 4);
        scores = Weights.gaussian(positions, 5);
    }

    @Benchmark
    public float[] rmsnorm() {
        ArrayMath.rmsnorm(out, 0, x, 0, weight, embedding, 1e-5f);
        return out;
    }

    /** Includes a copy of the gate (about a microsecond), which siluMul overwrites. */
    @Benchmark
    public float[] siluMul() {
        System.arraycopy(gateSource, 0, gate, 0, feedForward);
        ArrayMath.siluMul(gate, 0, up, 0, feedForward);
        return gate;
    }

    @Benchmark
    public float[] softmax() {
        ArrayMath.softmax(scores, 0, positions);
        return scores;
    }
}

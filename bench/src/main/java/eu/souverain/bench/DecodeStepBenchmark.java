package eu.souverain.bench;

import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.model.InferenceState;
import eu.souverain.engine.model.LlamaModel;
import eu.souverain.engine.model.SyntheticModel;
import eu.souverain.engine.tensor.GGMLType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * One decode step (embedding, RMSNorm, rope, attention over every earlier position, SwiGLU) of a
 * small model at increasing depths in the context: with the weights this small, the growth with
 * {@code position} is the cost of attention and the KV cache.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class DecodeStepBenchmark {

    @Param({"64", "1024", "4095"})
    int position;

    @Param({"1"})
    int threads;

    private Path file;
    private LlamaModel model;
    private InferenceState state;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        file = Files.createTempFile("souverain-bench", ".gguf");
        Path tokenizerSource = Path.of(System.getProperty("souverain.home", ".")).resolve("models/stories260K.gguf");
        try (GGUFFile tokenizer = GGUFFile.open(tokenizerSource)) {
            SyntheticModel.write(file, new SyntheticModel.Shape(512, 2, 8, 2, 64, 1536, 4096, 10000f, 0, false, false),
                    GGMLType.F32, SyntheticModel.Init.standard(1), tokenizer.metadata());
        }
        model = LlamaModel.load(file);
        state = model.newState(threads);
        for (int p = 0; p < position; p++) {
            model.forward(state, p % 500 + 3, p);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        state.close();
        model.close();
        Files.deleteIfExists(file);
    }

    @Benchmark
    public float[] forward() {
        return model.forward(state, 42, position);
    }
}

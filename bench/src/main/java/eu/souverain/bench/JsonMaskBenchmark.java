package eu.souverain.bench;

import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.sample.JsonConstraint;
import eu.souverain.engine.sample.JsonSchema;
import eu.souverain.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * One JSON token mask (constrained output) over a real vocabulary, at a few places in a document:
 * the cost every sampled token of a {@code response_format} request pays. The vocabulary is a
 * GGUF file relative to {@code souverain.home}; Llama 2's 32,000 tokens by default.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class JsonMaskBenchmark {

    @Param({"../shared/models/tokenizers/ggml-vocab-llama-spm.gguf"})
    String vocabulary;

    @Param({"{", "{\"key\":", "{\"key\":[1,", "{\"text\":\"Once upon"})
    String after;

    private JsonConstraint constraint;
    private float[] logits;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Tokenizer tokenizer;
        try (GGUFFile file = GGUFFile.open(Path.of(System.getProperty("souverain.home", ".")).resolve(vocabulary))) {
            tokenizer = Tokenizer.fromMetadata(file.metadata());
        }
        constraint = new JsonConstraint(JsonSchema.anyObject(), tokenizer, Integer.MAX_VALUE);
        for (byte b : after.getBytes(StandardCharsets.UTF_8)) {
            constraint.accept(tokenizer.findToken(String.format("<0x%02X>", b & 0xFF)).orElseThrow());
        }
        logits = new float[tokenizer.vocabularySize()];
    }

    @Benchmark
    public float[] mask() {
        constraint.mask(logits);
        return logits;
    }
}

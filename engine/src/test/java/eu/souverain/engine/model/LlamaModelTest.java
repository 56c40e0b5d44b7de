package eu.souverain.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import eu.souverain.engine.TestFiles;
import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.gguf.Metadata;
import eu.souverain.engine.model.SyntheticModel.Init;
import eu.souverain.engine.model.SyntheticModel.Shape;
import eu.souverain.engine.tensor.GGMLType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The engine's forward pass against {@link ReferenceLlama} on synthetic models of every type. */
class LlamaModelTest {

    private static final int POSITIONS = 40;

    /**
     * Largest allowed |engine - reference| relative to the largest |reference logit|. Both read
     * the same dequantized weights, so they differ only by float versus double accumulation: about
     * sqrt(n) * 6e-8 relative per dot product of length n <= 2048, compounded over a few layers,
     * which stays below 1e-5. 1e-4 leaves margin, while a wrong rope, mask, head mapping or norm
     * moves logits by several percent (see slidingWindowIsSensitive).
     */
    private static final double TOLERANCE = 1e-4;

    /**
     * For Q4_0, Q4_K and Q6_K, whose matrices multiply their input rounded to 8 bits as the reference does too:
     * where the engine's float input and the reference's double one fall on either side of a
     * rounding boundary, that element moves by a whole step (1/127 of its run's largest), and the
     * change compounds over the layers: 0.5 to 1.5 % measured. A wrong layout or scale is off by
     * the order of the logits themselves; the kernels are checked to 2e-4 in MatrixTest, and the
     * forward pass's wiring at {@link #TOLERANCE} by the other types.
     */
    private static final double EIGHT_BIT_TOLERANCE = 5e-2;

    private static double tolerance(GGMLType type) {
        return type == GGMLType.Q4_0 || type == GGMLType.Q4_K || type == GGMLType.Q6_K ? EIGHT_BIT_TOLERANCE : TOLERANCE;
    }

    /** Large enough weights that attention is peaked, so masking and rope errors show. */
    private static final Init INIT = new Init(7, 0.15f, 0.1f);

    private static final List<GGMLType> TYPES = List.of(
            GGMLType.F32, GGMLType.F16, GGMLType.BF16, GGMLType.Q8_0,
            GGMLType.Q4_0, GGMLType.Q4_K, GGMLType.Q5_K, GGMLType.Q6_K);

    @TempDir
    static Path dir;

    private static Metadata tokenizer;

    @BeforeAll
    static void readTokenizer() throws IOException {
        try (GGUFFile stories = GGUFFile.open(TestFiles.shared("models/stories260K.gguf"))) {
            tokenizer = stories.metadata();
        }
    }

    static Stream<Arguments> models() {
        List<Arguments> cases = new ArrayList<>();
        Shape gqa64 = new Shape(256, 2, 32, 4, 64, 512, 128, 10000f, 0, false, false);
        Shape nemoLike128 = new Shape(256, 2, 4, 2, 128, 768, 128, 1_000_000f, 0, true, false);
        Shape slidingLlama3 = new Shape(256, 2, 8, 2, 32, 512, 64, 500_000f, 8, false, true);
        for (GGMLType type : TYPES) {
            cases.add(arguments(type, "gqa-32x4-head64", gqa64));
            cases.add(arguments(type, "head128-tied", nemoLike128));
            cases.add(arguments(type, "window8-llama3rope", slidingLlama3));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("models")
    void logitsMatchTheReference(GGMLType type, String name, Shape shape) throws IOException {
        Path file = dir.resolve(name + "-" + type + ".gguf");
        SyntheticModel.write(file, shape, type, INIT, tokenizer);
        int[] tokens = randomTokens(512, 11);
        try (LlamaModel model = LlamaModel.load(file);
             InferenceState state = model.newState(2);
             GGUFFile gguf = GGUFFile.open(file)) {
            ReferenceLlama reference = new ReferenceLlama(gguf);
            for (int pos = 0; pos < POSITIONS; pos++) {
                float[] got = model.forward(state, tokens[pos], pos);
                double[] want = reference.forward(tokens[pos]);
                assertThat(relativeError(got, want)).as("position %d", pos).isLessThan(tolerance(type));
            }
        }
    }

    /**
     * Prompt processing in blocks gives every position the reference's logits: the 40 positions
     * in one call (one block), and in calls of 13 (a block that does not divide the prompt, leaves
     * a token over from the 4-token tiles, and is wider than the window-8 model's window).
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("models")
    void ingestedLogitsMatchTheReference(GGMLType type, String name, Shape shape) throws IOException {
        Path file = dir.resolve("ingest-" + name + "-" + type + ".gguf");
        SyntheticModel.write(file, shape, type, INIT, tokenizer);
        int[] tokens = randomTokens(512, 13);
        try (LlamaModel model = LlamaModel.load(file);
             InferenceState state = model.newState(2);
             GGUFFile gguf = GGUFFile.open(file)) {
            ReferenceLlama reference = new ReferenceLlama(gguf);
            double[][] want = new double[POSITIONS][];
            for (int pos = 0; pos < POSITIONS; pos++) {
                want[pos] = reference.forward(tokens[pos]);
            }
            for (int block : new int[] {POSITIONS, 13}) {
                int[] seen = {0};
                for (int from = 0; from < POSITIONS; from += block) {
                    int to = Math.min(POSITIONS, from + block);
                    model.ingest(state, tokens, from, to, from, 0, (position, logits) -> {
                        assertThat(position).isEqualTo(seen[0]++);
                        assertThat(relativeError(logits, want[position]))
                                .as("block %d position %d", block, position).isLessThan(tolerance(type));
                    });
                }
                assertThat(seen[0]).isEqualTo(POSITIONS);
                assertThat(state.length()).isEqualTo(POSITIONS);
            }
        }
    }

    /** A prompt ingested in blocks, then decoded token by token, continues as forward alone does. */
    @Test
    void ingestThenForwardContinuesLikeForward() throws IOException {
        Shape shape = new Shape(256, 2, 8, 2, 32, 512, 64, 10000f, 8, false, false);
        Path file = dir.resolve("continue.gguf");
        SyntheticModel.write(file, shape, GGMLType.Q4_K, INIT, tokenizer);
        int[] tokens = randomTokens(512, 17);
        int prompt = 27;
        try (LlamaModel model = LlamaModel.load(file);
             InferenceState ingested = model.newState(2);
             InferenceState stepped = model.newState(2)) {
            float[] last = null;
            for (int pos = 0; pos < prompt; pos++) {
                last = model.forward(stepped, tokens[pos], pos);
            }
            double[] want = toDouble(last);
            float[] got = model.ingest(ingested, tokens, 0, prompt, 0);
            assertThat(relativeError(got, want)).as("last prompt position").isLessThan(TOLERANCE);
            assertThat(ingested.cachedPrefix(tokens)).isEqualTo(prompt);
            for (int pos = prompt; pos < POSITIONS; pos++) {
                want = toDouble(model.forward(stepped, tokens[pos], pos));
                got = model.forward(ingested, tokens[pos], pos);
                assertThat(relativeError(got, want)).as("position %d", pos).isLessThan(TOLERANCE);
            }
        }
    }

    @Test
    void ingestRefusesAGapOrNoTokens() throws IOException {
        Shape shape = new Shape(256, 1, 8, 2, 32, 512, 64, 10000f, 0, false, false);
        Path file = dir.resolve("refuse.gguf");
        SyntheticModel.write(file, shape, GGMLType.F32, INIT, tokenizer);
        int[] tokens = randomTokens(512, 19);
        try (LlamaModel model = LlamaModel.load(file);
             InferenceState state = model.newState(1)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> model.ingest(state, tokens, 0, 4, 1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gap");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> model.ingest(state, tokens, 3, 3, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one token");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> model.ingest(state, tokens, 0, 10, 60))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void slidingWindowIsSensitive() throws IOException {
        Shape windowed = new Shape(256, 2, 8, 2, 32, 512, 64, 10000f, 8, false, false);
        Shape full = new Shape(256, 2, 8, 2, 32, 512, 64, 10000f, 0, false, false);
        Path a = dir.resolve("sensitive-window.gguf");
        Path b = dir.resolve("sensitive-full.gguf");
        SyntheticModel.write(a, windowed, GGMLType.F32, INIT, tokenizer);
        SyntheticModel.write(b, full, GGMLType.F32, INIT, tokenizer);
        int[] tokens = randomTokens(512, 3);
        try (LlamaModel withWindow = LlamaModel.load(a);
             LlamaModel without = LlamaModel.load(b);
             InferenceState sa = withWindow.newState(1);
             InferenceState sb = without.newState(1)) {
            for (int pos = 0; pos < 16; pos++) {
                float[] x = withWindow.forward(sa, tokens[pos], pos);
                float[] y = without.forward(sb, tokens[pos], pos);
                double error = relativeError(x, toDouble(y));
                if (pos < 8) {
                    assertThat(error).as("position %d sees the same past", pos).isLessThan(TOLERANCE);
                } else {
                    assertThat(error).as("position %d sees a shorter past", pos).isGreaterThan(100 * TOLERANCE);
                }
            }
        }
    }

    @Test
    void oneThreadAndTwoThreadsComputeTheSameLogits() throws IOException {
        Shape shape = new Shape(256, 2, 32, 4, 64, 512, 128, 10000f, 0, false, false);
        Path file = dir.resolve("threads.gguf");
        SyntheticModel.write(file, shape, GGMLType.Q4_K, INIT, tokenizer);
        int[] tokens = randomTokens(512, 5);
        try (LlamaModel model = LlamaModel.load(file);
             InferenceState one = model.newState(1);
             InferenceState two = model.newState(2)) {
            for (int pos = 0; pos < 8; pos++) {
                float[] a = model.forward(one, tokens[pos], pos).clone();
                float[] b = model.forward(two, tokens[pos], pos);
                assertThat(b).containsExactly(a);
            }
        }
    }

    @Test
    void refusesOtherArchitecturesByName() throws IOException {
        Path file = dir.resolve("gemma.gguf");
        new eu.souverain.engine.gguf.GGUFWriter()
                .putString("general.architecture", "gemma")
                .write(file);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> LlamaModel.load(file))
                .isInstanceOf(UnsupportedModelException.class)
                .hasMessageContaining("'gemma'");
    }

    private static int[] randomTokens(int vocabulary, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] tokens = new int[POSITIONS];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = random.nextInt(vocabulary);
        }
        return tokens;
    }

    private static double relativeError(float[] got, double[] want) {
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < want.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
            maxRef = Math.max(maxRef, Math.abs(want[i]));
        }
        return maxDiff / maxRef;
    }

    private static double[] toDouble(float[] values) {
        double[] d = new double[values.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = values[i];
        }
        return d;
    }
}

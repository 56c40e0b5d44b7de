package eu.souverain.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import eu.souverain.engine.TestFiles;
import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.gguf.Metadata;
import eu.souverain.engine.model.SyntheticModel.Init;
import eu.souverain.engine.model.SyntheticModel.Shape;
import eu.souverain.engine.tensor.GGMLType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link LlamaModel#embed} against {@link ReferenceLlama}'s mean hidden state on synthetic models. */
class EmbeddingTest {

    /**
     * Largest allowed |engine - reference| per component of the unit vector. The engine sums in
     * float, the reference in double, over the same dequantized weights: the hidden state carries
     * relative errors near 1e-6 after a few layers (the logits, one more matrix away, stay under
     * LlamaModelTest's 1e-4), and the mean and normalisation are done in double. Components of a
     * unit vector of width 256 are about 0.06, so 1e-5 is a relative error of about 2e-4, while a
     * missing norm, a mean over the wrong rows or a lost block moves them by percents. The
     * quantized type is Q8_0, whose products are float ones: the 4-bit formats multiply inputs
     * rounded to 8 bits, whose rounding the float engine and the double reference can take on
     * either side (LlamaModelTest bounds those).
     */
    private static final double TOLERANCE = 1e-5;

    private static final Shape SHAPE = new Shape(256, 2, 32, 4, 64, 512, 256, 10000f, 0, false, false);

    @TempDir
    static Path dir;

    private static Metadata tokenizer;

    @BeforeAll
    static void readTokenizer() throws IOException {
        try (GGUFFile stories = GGUFFile.open(TestFiles.shared("models/stories260K.gguf"))) {
            tokenizer = stories.metadata();
        }
    }

    /** 150 tokens: two full blocks and a partial third, so every block's rows must reach the mean. */
    @ParameterizedTest
    @EnumSource(value = GGMLType.class, names = {"F32", "Q8_0"})
    void matchesTheReferenceMeanOfNormalisedHiddenStates(GGMLType type) throws IOException {
        Path file = dir.resolve("embed-" + type + ".gguf");
        SyntheticModel.write(file, SHAPE, type, new Init(7, 0.15f, 0.1f), tokenizer);
        int[] tokens = randomTokens(150, 512, 13);
        try (LlamaModel model = LlamaModel.load(file);
             InferenceState state = model.newState(2);
             GGUFFile gguf = GGUFFile.open(file)) {
            float[] got = model.embed(state, tokens);
            double[] want = unit(new ReferenceLlama(gguf).meanHiddenState(tokens));
            assertThat(got).hasSize(256);
            double maxDiff = 0;
            for (int i = 0; i < want.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
            }
            assertThat(maxDiff).isLessThan(TOLERANCE);
            assertThat(length(got)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));
            assertThat(state.length()).isEqualTo(tokens.length);
        }
    }

    @Test
    void sameTextSameVectorAndDifferentTextsDiffer() throws IOException {
        Path file = dir.resolve("embed-texts.gguf");
        SyntheticModel.write(file, SHAPE, GGMLType.Q8_0, new Init(7, 0.15f, 0.1f), tokenizer);
        try (LlamaModel model = LlamaModel.load(file);
             InferenceState state = model.newState(2)) {
            int[] cat = model.tokenizer().encode("The cat sat on the mat.");
            int[] dog = model.tokenizer().encode("A dog ran into the park and barked.");
            float[] first = model.embed(state, cat);
            float[] other = model.embed(state, dog);
            // The state now holds the other text; embedding overwrites it from position 0.
            float[] again = model.embed(state, cat);
            assertThat(again).containsExactly(first);
            assertThat(dot(first, other)).isLessThan(0.99);
            assertThat(length(other)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));
        }
    }

    @Test
    void refusesNoTokensAndMoreThanTheContext() throws IOException {
        Path file = dir.resolve("embed-limits.gguf");
        SyntheticModel.write(file, SHAPE, GGMLType.F32, new Init(7, 0.15f, 0.1f), tokenizer);
        try (LlamaModel model = LlamaModel.load(file);
             InferenceState state = model.newState(1)) {
            assertThatThrownBy(() -> model.embed(state, new int[0]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one token");
            assertThatThrownBy(() -> model.embed(state, randomTokens(257, 512, 1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("context length 256");
        }
    }

    private static int[] randomTokens(int count, int vocabulary, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] tokens = new int[count];
        for (int i = 0; i < count; i++) {
            tokens[i] = random.nextInt(vocabulary);
        }
        return tokens;
    }

    private static double[] unit(double[] v) {
        double norm = 0;
        for (double x : v) {
            norm += x * x;
        }
        norm = Math.sqrt(norm);
        double[] u = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            u[i] = v[i] / norm;
        }
        return u;
    }

    private static double length(float[] v) {
        return Math.sqrt(dot(v, v));
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }
}

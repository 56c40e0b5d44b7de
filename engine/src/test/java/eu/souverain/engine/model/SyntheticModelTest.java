package eu.souverain.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import eu.souverain.engine.TestFiles;
import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.gguf.Metadata;
import eu.souverain.engine.model.SyntheticModel.FileType;
import eu.souverain.engine.model.SyntheticModel.Init;
import eu.souverain.engine.model.SyntheticModel.Shape;
import eu.souverain.engine.tensor.GGMLType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file types SyntheticModel writes: llama.cpp's per-tensor choices, and bytes that only the seed decides. */
class SyntheticModelTest {

    @TempDir
    Path dir;

    /** The layers llama.cpp's use_more_bits picks, worked out by hand for TinyLlama's 22 and Mistral's 32 layers. */
    @Test
    void moreBitsGoToTheFirstAndLastEighthAndEveryThirdLayerBetween() {
        assertThat(moreBitsLayers(22)).containsExactly(0, 1, 4, 7, 10, 13, 16, 19, 20, 21);
        assertThat(moreBitsLayers(32)).containsExactly(0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31);
    }

    @Test
    void q4KMUsesQ6KForTheOutputAndTheSensitiveMatricesOfThoseLayers() {
        Function<String, GGMLType> type = FileType.llamaCpp("Q4_K_M", Shape.tinyllama()).matrixType();
        assertThat(type.apply("output.weight")).isEqualTo(GGMLType.Q6_K);
        assertThat(type.apply("token_embd.weight")).isEqualTo(GGMLType.Q4_K);
        for (int layer = 0; layer < 22; layer++) {
            GGMLType sensitive = moreBitsLayers(22).contains(layer) ? GGMLType.Q6_K : GGMLType.Q4_K;
            assertThat(type.apply("blk." + layer + ".attn_v.weight")).as("layer %d", layer).isEqualTo(sensitive);
            assertThat(type.apply("blk." + layer + ".ffn_down.weight")).as("layer %d", layer).isEqualTo(sensitive);
            for (String other : List.of("attn_q", "attn_k", "attn_output", "ffn_gate", "ffn_up")) {
                assertThat(type.apply("blk." + layer + "." + other + ".weight")).isEqualTo(GGMLType.Q4_K);
            }
        }
    }

    @Test
    void aTiedOutputMakesTheEmbeddingTheOutputMatrix() {
        Shape tied = new Shape(256, 2, 4, 2, 64, 512, 64, 10000f, 0, true, false);
        assertThat(FileType.llamaCpp("Q4_K_M", tied).matrixType().apply("token_embd.weight")).isEqualTo(GGMLType.Q6_K);
        assertThat(FileType.llamaCpp("Q4_0", tied).matrixType().apply("token_embd.weight")).isEqualTo(GGMLType.Q6_K);
        assertThat(FileType.llamaCpp("Q4_0", Shape.tinyllama()).matrixType().apply("token_embd.weight"))
                .isEqualTo(GGMLType.Q4_0);
    }

    @Test
    void fileTypesCarryLlamaCppsNumbers() {
        assertThat(List.of("F16", "Q8_0", "Q4_0", "Q4_K_M"))
                .extracting(name -> FileType.llamaCpp(name, Shape.tinyllama()).id())
                .containsExactly(1, 7, 2, 15);
        assertThat(FileType.uniform(GGMLType.F32).id()).isZero();
        assertThatThrownBy(() -> FileType.llamaCpp("Q3_K_S", Shape.tinyllama()))
                .hasMessageContaining("Q3_K_S").hasMessageContaining("Q4_K_M");
        assertThatThrownBy(() -> FileType.uniform(GGMLType.IQ2_XS)).hasMessageContaining("IQ2_XS");
    }

    /** Rows are drawn in parallel chunks, each from its own seed: one thread writes the same bytes as many. */
    @Test
    void theBytesDoNotDependOnTheThreads() throws Exception {
        Metadata tokenizer;
        try (GGUFFile stories = GGUFFile.open(TestFiles.shared("models/stories260K.gguf"))) {
            tokenizer = stories.metadata();
        }
        Shape shape = new Shape(256, 2, 8, 4, 32, 512, 64, 10000f, 0, false, false);
        FileType fileType = FileType.llamaCpp("Q4_K_M", shape);
        Path many = dir.resolve("many.gguf");
        Path one = dir.resolve("one.gguf");
        SyntheticModel.write(many, "m", shape, fileType, Init.standard(5), tokenizer);
        try (ForkJoinPool single = new ForkJoinPool(1)) {
            // A parallel stream started inside a pool's task runs in that pool.
            single.submit(() -> {
                SyntheticModel.write(one, "m", shape, fileType, Init.standard(5), tokenizer);
                return null;
            }).get();
        }
        assertThat(Files.mismatch(many, one)).isEqualTo(-1);
    }

    private static List<Integer> moreBitsLayers(int layers) {
        return IntStream.range(0, layers).filter(l -> FileType.usesMoreBits(l, layers)).boxed().toList();
    }
}

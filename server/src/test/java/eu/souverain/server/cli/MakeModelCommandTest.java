package eu.souverain.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.gguf.TensorInfo;
import eu.souverain.engine.model.InferenceState;
import eu.souverain.engine.model.LlamaModel;
import eu.souverain.engine.tensor.GGMLType;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** make-model on the tiny shape, with the bundled 32,000-token vocabulary. */
class MakeModelCommandTest {

    /** The project root, where the bundled vocabulary lives (surefire runs in server/). */
    private static final Path HOME = Path.of("").toAbsolutePath().getParent();

    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {}

    @BeforeAll
    static void useTheBundledVocabulary() {
        System.setProperty("souverain.home", HOME.toString());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"F16, 1", "Q8_0, 7", "Q4_0, 2", "Q4_K_M, 15"})
    void eachTypeWritesAModelThatLoadsAndRuns(String type, long fileType) throws IOException {
        Path file = dir.resolve("tiny-" + type + ".gguf");
        Run run = makeModel("--shape", "tiny", "--type", type, "--out", file.toString(), "--seed", "3");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains("wrote ");

        try (GGUFFile gguf = GGUFFile.open(file)) {
            assertThat(gguf.metadata().getString("general.name")).isEqualTo("synthetic tiny " + type);
            assertThat(gguf.metadata().get("general.file_type")).isEqualTo(fileType);
            for (TensorInfo t : gguf.tensors()) {
                assertThat(t.type()).as(t.name()).isEqualTo(expectedType(type, t.name()));
            }
        }
        try (LlamaModel model = LlamaModel.load(file);
             InferenceState state = model.newState(1)) {
            assertThat(model.config().embeddingLength()).isEqualTo(256);
            assertThat(model.config().blockCount()).isEqualTo(4);
            assertThat(model.config().vocabularySize()).isEqualTo(32000);
            assertThat(model.tokenizer().vocabularySize()).isEqualTo(32000);
            // Llama 2's SentencePiece vocabulary: "▁Hello" is token 15043.
            assertThat(model.tokenizer().encode("Hello")).containsExactly(15043);
            float[] logits = model.forward(state, model.tokenizer().bosToken(), 0);
            assertThat(logits).hasSize(32000);
            for (float logit : logits) {
                assertThat(logit).isFinite();
            }
        }
    }

    /** llama-quantize's choices for a 4-layer model: more bits for attn_v and ffn_down in layers 2 and 3. */
    private static GGMLType expectedType(String fileType, String tensor) {
        if (tensor.endsWith("_norm.weight")) {
            return GGMLType.F32;
        }
        return switch (fileType) {
            case "F16" -> GGMLType.F16;
            case "Q8_0" -> GGMLType.Q8_0;
            case "Q4_0" -> tensor.equals("output.weight") ? GGMLType.Q6_K : GGMLType.Q4_0;
            case "Q4_K_M" -> Set.of("output.weight", "blk.2.attn_v.weight", "blk.3.attn_v.weight",
                    "blk.2.ffn_down.weight", "blk.3.ffn_down.weight").contains(tensor) ? GGMLType.Q6_K : GGMLType.Q4_K;
            default -> throw new IllegalArgumentException(fileType);
        };
    }

    @Test
    void theSeedDecidesTheBytes() throws IOException {
        Path a = dir.resolve("a.gguf");
        Path b = dir.resolve("b.gguf");
        Path c = dir.resolve("c.gguf");
        assertThat(makeModel("--shape", "tiny", "--type", "Q8_0", "--out", a.toString(), "--seed", "42").exit()).isZero();
        assertThat(makeModel("--shape", "tiny", "--type", "Q8_0", "--out", b.toString(), "--seed", "42").exit()).isZero();
        assertThat(makeModel("--shape", "tiny", "--type", "Q8_0", "--out", c.toString(), "--seed", "43").exit()).isZero();
        assertThat(Files.mismatch(a, b)).isEqualTo(-1);
        assertThat(Files.size(c)).isEqualTo(Files.size(a));
        assertThat(Files.mismatch(a, c)).isNotEqualTo(-1);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "--shape llama-70b --type Q4_0 --out OUT",
        "--shape tiny --type Q5_K_M --out OUT",
        "--shape tiny --type Q4_0",
        "--shape tiny --type Q4_0 --out OUT --seed many",
    })
    void aBadFlagGetsOneLineAndExitCode2(String args) {
        Path out = dir.resolve("never.gguf");
        Run run = makeModel(args.replace("OUT", out.toString()).split(" "));
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.out()).isEmpty();
        assertThat(run.err().lines()).hasSize(1);
        assertThat(run.err()).startsWith("error: ").contains("make-model --help");
        assertThat(out).doesNotExist();
    }

    @Test
    void aVocabularyFileWithoutATokenizerIsNamed() throws IOException {
        Path notGguf = dir.resolve("vocab.gguf");
        Files.writeString(notGguf, "not a vocabulary");
        Run run = makeModel("--shape", "tiny", "--type", "F16", "--out", dir.resolve("x.gguf").toString(),
                "--vocab", notGguf.toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err().lines()).hasSize(1);
    }

    private static Run makeModel(String... args) {
        String[] command = new String[args.length + 1];
        command[0] = "make-model";
        System.arraycopy(args, 0, command, 1, args.length);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(command, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }
}

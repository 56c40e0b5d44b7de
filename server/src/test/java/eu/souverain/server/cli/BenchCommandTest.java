package eu.souverain.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.gguf.Metadata;
import eu.souverain.engine.gguf.TensorInfo;
import eu.souverain.engine.model.LlamaConfig;
import eu.souverain.engine.model.SyntheticModel;
import eu.souverain.engine.model.SyntheticModel.FileType;
import eu.souverain.engine.model.SyntheticModel.Init;
import eu.souverain.engine.model.SyntheticModel.Shape;
import eu.souverain.engine.tensor.GGMLType;
import eu.souverain.tools.BenchCommand;
import eu.souverain.tools.MakeModelCommand;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench on the tiny shape, with small counts: what it prints, never how fast it was. */
class BenchCommandTest {

    private static final Path HOME = Path.of("").toAbsolutePath().getParent();

    @TempDir
    static Path dir;

    private static Path model;

    record Run(int exit, String out, String err) {}

    @BeforeAll
    static void makeATinyModel() {
        System.setProperty("souverain.home", HOME.toString());
        model = dir.resolve("tiny-q4_0.gguf");
        Run run = cli("make-model", "--shape", "tiny", "--type", "Q4_0", "--out", model.toString());
        assertThat(run.exit()).as(run.err()).isZero();
    }

    @Test
    void aPromptTokenMultipliesEveryWeightOfTheLayersOnce() throws IOException {
        try (GGUFFile file = GGUFFile.open(model)) {
            LlamaConfig c = LlamaConfig.from(file.metadata(), 1);
            long e = c.embeddingLength();
            long perLayer = e * c.queryDim() + e * c.keyDim() + e * c.valueDim() + c.queryDim() * e
                    + 3 * e * c.feedForwardLength();
            assertThat(BenchCommand.multiplyAddsPerPromptToken(file)).isEqualTo(c.blockCount() * perLayer);
        }
    }

    @Test
    void jsonIsOneObjectWithEveryKeyInOrderAndNothingElse() throws IOException {
        Run run = cli("bench", "--model", model.toString(), "--prompt-tokens", "16", "--gen-tokens", "8",
                "--repetitions", "1", "--threads", "2", "--json");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out().lines()).hasSize(1);
        JsonNode json = new ObjectMapper().readTree(run.out());
        List<String> keys = new ArrayList<>();
        json.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactly("model", "model_bytes", "threads", "pp_tokens", "pp_tokens_per_s",
                "tg_tokens", "tg_tokens_per_s", "bandwidth_gb_per_s", "tg_ceiling_tokens_per_s", "fma_gflops_per_s",
                "pp_ceiling_tokens_per_s");
        assertThat(json.get("model").asText()).isEqualTo("tiny-q4_0.gguf");
        assertThat(json.get("threads").asInt()).isEqualTo(2);
        assertThat(json.get("pp_tokens").asInt()).isEqualTo(16);
        assertThat(json.get("tg_tokens").asInt()).isEqualTo(8);
        try (GGUFFile file = GGUFFile.open(model)) {
            assertThat(json.get("model_bytes").asLong())
                    .isEqualTo(file.tensors().stream().mapToLong(TensorInfo::byteSize).sum());
            double ceiling = json.get("bandwidth_gb_per_s").asDouble() * 1e9 / BenchCommand.bytesReadPerToken(file);
            assertThat(json.get("tg_ceiling_tokens_per_s").asDouble()).isCloseTo(ceiling, within(ceiling * 1e-9));
            double promptCeiling = json.get("fma_gflops_per_s").asDouble() * 1e9
                    / (2.0 * BenchCommand.multiplyAddsPerPromptToken(file));
            assertThat(json.get("pp_ceiling_tokens_per_s").asDouble())
                    .isCloseTo(promptCeiling, within(promptCeiling * 1e-9));
        }
        for (String key : List.of("pp_tokens_per_s", "tg_tokens_per_s", "bandwidth_gb_per_s", "tg_ceiling_tokens_per_s",
                "fma_gflops_per_s", "pp_ceiling_tokens_per_s")) {
            assertThat(json.get(key).isNumber()).as(key).isTrue();
            assertThat(json.get(key).asDouble()).as(key).isPositive().isFinite();
        }
        assertThat(run.err()).contains("pp16 run 1/1").contains("tg8 run 1/1");
    }

    @Test
    void llamaBenchRunsBesideAndItsFiguresAndTheRatiosJoinTheJson() throws IOException {
        // A stand-in for llama-bench (a shell script printing its JSON shape), not llama.cpp itself.
        Path peer = dir.resolve("llama-bench");
        java.nio.file.Files.writeString(peer, """
                #!/bin/sh
                cat <<'END'
                [{"build_commit": "abc1234", "n_prompt": 16, "n_gen": 0, "avg_ts": 50.0},
                 {"build_commit": "abc1234", "n_prompt": 0, "n_gen": 8, "avg_ts": 20.0}]
                END
                """);
        peer.toFile().setExecutable(true);
        Run run = cli("bench", "--model", model.toString(), "-p", "16", "-n", "8", "-r", "1", "-t", "1", "--json",
                "--llama-bench", peer.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        JsonNode peerFigures = json.get("llama_cpp");
        assertThat(peerFigures.get("build").asText()).isEqualTo("abc1234");
        assertThat(peerFigures.get("pp_tokens_per_s").asDouble()).isEqualTo(50.0);
        assertThat(peerFigures.get("tg_tokens_per_s").asDouble()).isEqualTo(20.0);
        assertThat(peerFigures.get("pp_ratio").asDouble())
                .isCloseTo(json.get("pp_tokens_per_s").asDouble() / 50.0, within(1e-9));
        assertThat(peerFigures.get("tg_ratio").asDouble())
                .isCloseTo(json.get("tg_tokens_per_s").asDouble() / 20.0, within(1e-9));

        Run table = cli("bench", "--model", model.toString(), "-p", "16", "-n", "8", "-r", "1", "-t", "1",
                "--llama-bench", peer.toString());
        assertThat(table.exit()).as(table.err()).isZero();
        assertThat(table.out()).contains("llama.cpp (llama-bench abc1234): pp16 50.00, tg8 20.00 tokens/s")
                .contains("ours over llama.cpp: pp ");
    }

    @Test
    void theTableShowsBothTestsAndTheCeiling() {
        Run run = cli("bench", "--model", model.toString(), "-p", "8", "-n", "4", "-r", "1", "-t", "1");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("| tiny-q4_0.gguf").containsPattern("\\|\\s+pp8 \\|")
                .containsPattern("\\|\\s+tg4 \\|").contains("read bandwidth: ").contains("decode ceiling: ").contains("tg4 reaches ")
                .contains("float multiply-adds: ").contains("prompt ceiling: ").contains("pp8 reaches ");
    }

    @Test
    void aPromptLongerThanTheContextIsRefused() {
        Run run = cli("bench", "--model", model.toString(), "-p", "600", "-n", "1", "-r", "1", "-t", "1");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.out()).isEmpty();
        assertThat(run.err().lines().filter(line -> line.startsWith("error: "))).singleElement().asString()
                .contains("context holds 512 tokens");
    }

    @Test
    void noRepetitionsIsABadFlag() {
        Run run = cli("bench", "--model", model.toString(), "--repetitions", "0");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err().lines()).hasSize(1);
        assertThat(run.err()).contains("--repetitions must be at least 1");
    }

    /** One row of the embedding, every other tensor whole; a tied embedding is also read whole as the output. */
    @Test
    void bytesReadPerTokenCountOneEmbeddingRow() throws IOException {
        Metadata vocabulary;
        try (GGUFFile file = GGUFFile.open(HOME.resolve(MakeModelCommand.DEFAULT_VOCABULARY))) {
            vocabulary = file.metadata();
        }
        Shape tied = new Shape(256, 1, 8, 4, 32, 512, 64, 10000f, 0, true, false);
        Path tiedModel = dir.resolve("tied.gguf");
        SyntheticModel.write(tiedModel, "tied", tied, FileType.uniform(GGMLType.Q8_0), Init.standard(1), vocabulary);
        try (GGUFFile untied = GGUFFile.open(model);
             GGUFFile tiedFile = GGUFFile.open(tiedModel)) {
            assertThat(BenchCommand.bytesReadPerToken(untied)).isEqualTo(total(untied)
                    - untied.tensor("token_embd.weight").byteSize() + untied.tensor("token_embd.weight").byteSize() / 32000);
            long embedding = tiedFile.tensor("token_embd.weight").byteSize();
            assertThat(BenchCommand.bytesReadPerToken(tiedFile)).isEqualTo(total(tiedFile) + embedding / 32000);
        }
    }

    private static long total(GGUFFile file) {
        return file.tensors().stream().mapToLong(TensorInfo::byteSize).sum();
    }

    private static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }
}

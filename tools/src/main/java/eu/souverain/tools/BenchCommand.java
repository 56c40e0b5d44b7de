package eu.souverain.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.gguf.TensorInfo;
import eu.souverain.engine.model.InferenceState;
import eu.souverain.engine.model.LlamaModel;
import eu.souverain.engine.tensor.VectorWarmUp;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Measures a model's speed as llama-bench does (prompt processing and token generation in tokens
 * per second) and sets each against what the machine allows: decoding reads every weight once per
 * token, so read bandwidth over bytes per token is its ceiling; prompt processing does a
 * multiply-add per weight per token, so the float multiply-add rate over those is its ceiling.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {
            "Measure prompt processing (pp: a prompt of random tokens into a fresh state) and token generation"
                    + " (tg: greedy decoding after a one-token prompt) in tokens per second, median of the"
                    + " repetitions, after a warm-up round of each. Also measures the memory read bandwidth and"
                    + " the decode ceiling it allows (bandwidth / bytes of weights read per token), and the float"
                    + " multiply-add rate and the prompt ceiling it allows (rate / multiply-adds per prompt token).",
            "Stdout carries the table (or, with --json, one JSON object); progress goes to stderr."})
public final class BenchCommand implements Callable<Integer> {

    private static final int BANDWIDTH_PASSES = 5;
    private static final int FMA_PASSES = 5;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions modelOptions = new ModelOptions();

    @Option(names = {"-p", "--prompt-tokens"}, paramLabel = "N", defaultValue = "512",
            description = "Prompt length for pp (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = {"-n", "--gen-tokens"}, paramLabel = "N", defaultValue = "64",
            description = "Tokens decoded for tg (default: ${DEFAULT-VALUE}).")
    int genTokens;

    @Option(names = {"-r", "--repetitions"}, paramLabel = "N", defaultValue = "3",
            description = "Measured runs of each test (default: ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    boolean json;

    @Option(names = "--llama-bench", paramLabel = "PATH",
            description = "Also run llama.cpp's llama-bench at PATH on the same file with the same threads and test"
                    + " sizes, and print its figures and ours over its (--json: under llama_cpp).")
    java.nio.file.Path llamaBench;

    @Override
    public Integer call() throws Exception {
        requirePositive("--prompt-tokens", promptTokens);
        requirePositive("--gen-tokens", genTokens);
        requirePositive("--repetitions", repetitions);
        int threads = modelOptions.threads();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();

        err.printf(Locale.ROOT, "measuring read bandwidth (%d threads, %d MiB)%n", threads,
                ReadBandwidth.bufferBytes() >> 20);
        ReadBandwidth.Result bandwidth = ReadBandwidth.measure(threads, BANDWIDTH_PASSES);
        err.printf(Locale.ROOT, "measuring float multiply-adds (%d threads)%n", threads);
        FmaThroughput.Result fma = FmaThroughput.measure(threads, FMA_PASSES);

        try (LlamaModel model = modelOptions.load()) {
            int context = model.config().contextLength();
            if (Math.max(promptTokens, 1 + genTokens) > context) {
                throw new IllegalArgumentException("the context holds " + context + " tokens: --prompt-tokens "
                        + promptTokens + " or 1 + --gen-tokens " + genTokens + " does not fit (see --context)");
            }
            GGUFFile file = model.file();
            String name = file.path().getFileName().toString();
            long modelBytes = file.tensors().stream().mapToLong(TensorInfo::byteSize).sum();
            long parameters = file.tensors().stream().mapToLong(TensorInfo::elementCount).sum();
            double ceiling = bandwidth.bytesPerSecond() / bytesReadPerToken(file);
            double promptCeiling = fma.flopsPerSecond() / (2.0 * multiplyAddsPerPromptToken(file));
            int[] prompt = randomTokens(promptTokens, model.config().vocabularySize());

            // A whole round of each first: shorter warm-ups left the JIT still compiling the kernels.
            // The vector kernels, not the scalar ones that stand in for them until they are compiled.
            err.printf(Locale.ROOT, "%s: warm-up (pp%d, tg%d)%n", name, promptTokens, genTokens);
            VectorWarmUp.awaitCompiled();
            promptRate(model, threads, prompt);
            generationRate(model, threads);
            double[] pp = new double[repetitions];
            double[] tg = new double[repetitions];
            for (int r = 0; r < repetitions; r++) {
                pp[r] = promptRate(model, threads, prompt);
                err.printf(Locale.ROOT, "pp%d run %d/%d: %.2f tokens/s%n", promptTokens, r + 1, repetitions, pp[r]);
            }
            for (int r = 0; r < repetitions; r++) {
                tg[r] = generationRate(model, threads);
                err.printf(Locale.ROOT, "tg%d run %d/%d: %.2f tokens/s%n", genTokens, r + 1, repetitions, tg[r]);
            }

            LlamaBench.Result peer = null;
            if (llamaBench != null) {
                err.printf(Locale.ROOT, "running %s%n", llamaBench);
                peer = LlamaBench.run(llamaBench, modelOptions.modelPath(), threads, promptTokens, genTokens,
                        repetitions);
            }
            if (json) {
                ObjectMapper mapper = new ObjectMapper();
                ObjectNode result = mapper.createObjectNode()
                        .put("model", name)
                        .put("model_bytes", modelBytes)
                        .put("threads", threads)
                        .put("pp_tokens", promptTokens)
                        .put("pp_tokens_per_s", median(pp))
                        .put("tg_tokens", genTokens)
                        .put("tg_tokens_per_s", median(tg))
                        .put("bandwidth_gb_per_s", bandwidth.gigabytesPerSecond())
                        .put("tg_ceiling_tokens_per_s", ceiling)
                        .put("fma_gflops_per_s", fma.gigaflopsPerSecond())
                        .put("pp_ceiling_tokens_per_s", promptCeiling);
                if (peer != null) {
                    result.putObject("llama_cpp")
                            .put("build", peer.build())
                            .put("pp_tokens_per_s", peer.ppTokensPerSecond())
                            .put("tg_tokens_per_s", peer.tgTokensPerSecond())
                            .put("pp_ratio", median(pp) / peer.ppTokensPerSecond())
                            .put("tg_ratio", median(tg) / peer.tgTokensPerSecond());
                }
                out.println(mapper.writeValueAsString(result));
            } else {
                String size = String.format(Locale.ROOT, "%.2f MiB", modelBytes / (double) (1 << 20));
                String params = String.format(Locale.ROOT, "%.2f B", parameters / 1e9);
                String header = String.format(Locale.ROOT, "| %-30s | %12s | %8s | %7s | %6s | %16s |",
                        "model", "size", "params", "threads", "test", "t/s");
                out.println(header);
                out.println("| " + "-".repeat(30) + " | " + "-".repeat(11) + ": | " + "-".repeat(7) + ": | "
                        + "-".repeat(6) + ": | " + "-".repeat(5) + ": | " + "-".repeat(15) + ": |");
                for (String[] row : new String[][] {{"pp" + promptTokens, rate(pp)}, {"tg" + genTokens, rate(tg)}}) {
                    out.println(String.format(Locale.ROOT, "| %-30s | %12s | %8s | %7d | %6s | %16s |",
                            name, size, params, threads, row[0], row[1]));
                }
                out.println();
                out.printf(Locale.ROOT, "read bandwidth: %.1f GB/s (%d threads, best of %d passes over %d MiB)%n",
                        bandwidth.gigabytesPerSecond(), threads, bandwidth.passes(), bandwidth.bufferBytes() >> 20);
                out.printf(Locale.ROOT, "decode ceiling: %.2f tokens/s (%.1f MB of weights read per token);"
                        + " tg%d reaches %.0f%% of it%n", ceiling, bytesReadPerToken(file) / 1e6, genTokens,
                        100 * median(tg) / ceiling);
                out.printf(Locale.ROOT, "float multiply-adds: %.1f GFLOP/s (%d threads, best of %d passes)%n",
                        fma.gigaflopsPerSecond(), threads, fma.passes());
                out.printf(Locale.ROOT, "prompt ceiling: %.2f tokens/s (%.1f M multiply-adds per token, attention"
                        + " not counted); pp%d reaches %.0f%% of it%n", promptCeiling,
                        multiplyAddsPerPromptToken(file) / 1e6, promptTokens, 100 * median(pp) / promptCeiling);
                if (peer != null) {
                    out.printf(Locale.ROOT, "llama.cpp (llama-bench %s): pp%d %.2f, tg%d %.2f tokens/s;"
                            + " ours over llama.cpp: pp %.2fx, tg %.2fx%n", peer.build(), promptTokens,
                            peer.ppTokensPerSecond(), genTokens, peer.tgTokensPerSecond(),
                            median(pp) / peer.ppTokensPerSecond(), median(tg) / peer.tgTokensPerSecond());
                }
            }
        }
        return 0;
    }

    /**
     * Bytes of weights one decoded token reads: every tensor once, except the token embedding, of
     * which only the token's row is read. A model without output.weight reads the embedding whole
     * as its output matrix.
     */
    public static long bytesReadPerToken(GGUFFile file) {
        long bytes = 0;
        for (TensorInfo t : file.tensors()) {
            bytes += t.name().equals("token_embd.weight") ? t.byteSize() / t.rows() : t.byteSize();
        }
        if (file.findTensor("output.weight").isEmpty()) {
            bytes += file.tensor("token_embd.weight").byteSize();
        }
        return bytes;
    }

    /**
     * Multiply-adds of the matrix products of one prompt token: one per weight of every layer's
     * matrices. The output matrix is left out (a prompt computes the logits of its last token only),
     * and so is attention, which grows with the position.
     */
    public static long multiplyAddsPerPromptToken(GGUFFile file) {
        return file.tensors().stream()
                .filter(t -> t.name().startsWith("blk.") && t.rows() > 1)
                .mapToLong(TensorInfo::elementCount)
                .sum();
    }

    /** Tokens per second of running {@code prompt} through a fresh state, in blocks of tokens. */
    private static double promptRate(LlamaModel model, int threads, int[] prompt) {
        try (InferenceState state = model.newState(threads)) {
            long start = System.nanoTime();
            model.ingest(state, prompt, 0, prompt.length, 0);
            return prompt.length * 1e9 / (System.nanoTime() - start);
        }
    }

    /** Tokens per second of greedy decoding after a one-token prompt (BOS where there is one). */
    private double generationRate(LlamaModel model, int threads) {
        int bos = model.tokenizer().bosToken();
        try (InferenceState state = model.newState(threads)) {
            float[] logits = model.forward(state, bos >= 0 ? bos : 0, 0);
            long start = System.nanoTime();
            for (int i = 1; i <= genTokens; i++) {
                logits = model.forward(state, argmax(logits), i);
            }
            return genTokens * 1e9 / (System.nanoTime() - start);
        }
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The same tokens for every run and every model of the vocabulary size. */
    private static int[] randomTokens(int count, int vocabulary) {
        return new SplittableRandom(0).ints(count, 0, vocabulary).toArray();
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** Median ± standard deviation, as llama-bench prints average ± standard deviation. */
    private static String rate(double[] values) {
        double mean = Arrays.stream(values).average().orElse(0);
        double variance = values.length < 2 ? 0
                : Arrays.stream(values).map(v -> (v - mean) * (v - mean)).sum() / (values.length - 1);
        return String.format(Locale.ROOT, "%.2f ± %.2f", median(values), Math.sqrt(variance));
    }

    private void requirePositive(String option, int value) {
        if (value < 1) {
            throw new ParameterException(spec.commandLine(), option + " must be at least 1, was " + value);
        }
    }
}

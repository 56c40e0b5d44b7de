package eu.souverain.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * llama.cpp's {@code llama-bench}, run on the same file with the same thread count and test sizes
 * as our own bench, so that both figures come from the same minutes of the same machine. A
 * measuring tool beside the project: only its output (JSON, {@code -o json}) is read.
 */
final class LlamaBench {

    /** Its average tokens per second for the prompt test and the generation test, and its build. */
    record Result(String build, double ppTokensPerSecond, double tgTokensPerSecond) {}

    private LlamaBench() {
    }

    static Result run(Path program, Path model, int threads, int promptTokens, int genTokens, int repetitions)
            throws IOException, InterruptedException {
        if (!Files.isExecutable(program)) {
            throw new IllegalArgumentException("--llama-bench " + program + " is not an executable file");
        }
        List<String> command = List.of(program.toString(), "-m", model.toString(), "-t", String.valueOf(threads),
                "-p", String.valueOf(promptTokens), "-n", String.valueOf(genTokens),
                "-r", String.valueOf(repetitions), "-o", "json");
        Path errors = Files.createTempFile("llama-bench", ".err");
        try {
            Process process = new ProcessBuilder(command)
                    .redirectError(errors.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int status = process.waitFor();
            if (status != 0) {
                List<String> lines = Files.readAllLines(errors, StandardCharsets.UTF_8);
                String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
                throw new IllegalStateException("llama-bench exited with status " + status
                        + (status == 132 ? " (illegal instruction: built for another CPU)" : "")
                        + (tail.isBlank() ? "" : ":\n" + tail));
            }
            return parse(out, promptTokens, genTokens);
        } finally {
            Files.deleteIfExists(errors);
        }
    }

    /** The figures of llama-bench's JSON array: one object per test, pp with n_gen 0, tg with n_prompt 0. */
    static Result parse(String json, int promptTokens, int genTokens) {
        JsonNode tests;
        try {
            tests = new ObjectMapper().readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("llama-bench printed no JSON: " + e.getOriginalMessage());
        }
        if (tests == null || !tests.isArray()) {
            throw new IllegalStateException("llama-bench printed no JSON array of tests");
        }
        String build = "";
        double pp = Double.NaN;
        double tg = Double.NaN;
        for (JsonNode test : tests) {
            build = test.path("build_commit").asText("");
            int prompt = test.path("n_prompt").asInt(-1);
            int gen = test.path("n_gen").asInt(-1);
            if (prompt == promptTokens && gen == 0) {
                pp = test.path("avg_ts").asDouble(Double.NaN);
            } else if (prompt == 0 && gen == genTokens) {
                tg = test.path("avg_ts").asDouble(Double.NaN);
            }
        }
        if (Double.isNaN(pp) || Double.isNaN(tg)) {
            throw new IllegalStateException("llama-bench's JSON lacks the pp" + promptTokens + " or tg" + genTokens
                    + " test (its avg_ts)");
        }
        return new Result(build, pp, tg);
    }
}

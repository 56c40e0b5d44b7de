package eu.souverain.server.cli;

import eu.souverain.engine.model.InferenceState;
import eu.souverain.engine.model.LlamaModel;
import eu.souverain.engine.model.Perplexity;
import eu.souverain.engine.prompt.PromptTokens;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Perplexity of a model over a text file, measured as llama.cpp's perplexity tool does. */
@Command(name = "perplexity", mixinStandardHelpOptions = true,
        description = "Perplexity over a text file in non-overlapping windows, scoring the second half of each."
                + " Progress goes to stderr; the last line is 'perplexity: <value>'.")
final class PerplexityCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions modelOptions = new ModelOptions();

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "TEXT", description = "UTF-8 text file to score.")
    Path file;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String text = Files.readString(file, StandardCharsets.UTF_8);
        try (LlamaModel model = modelOptions.load();
             InferenceState state = model.newState(modelOptions.threads())) {
            int[] tokens = PromptTokens.raw(model.tokenizer(), text);
            int window = modelOptions.context > 0 ? modelOptions.context : Math.min(512, state.capacity());
            err.printf(Locale.ROOT, "%d tokens, windows of %d%n", tokens.length, window);
            Perplexity.Result result = Perplexity.measure(model, state, tokens, window,
                    (done, windows, soFar) -> err.printf(Locale.ROOT, "[%d/%d] %.4f%n", done, windows, soFar));
            out.printf(Locale.ROOT, "perplexity: %.4f%n", result.perplexity());
        }
        return 0;
    }
}

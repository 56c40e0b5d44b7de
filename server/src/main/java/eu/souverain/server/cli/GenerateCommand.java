package eu.souverain.server.cli;

import eu.souverain.engine.model.Generator;
import eu.souverain.engine.model.InferenceState;
import eu.souverain.engine.model.LlamaModel;
import eu.souverain.engine.prompt.PromptTokens;
import eu.souverain.engine.sample.Sampler;
import eu.souverain.engine.tokenizer.Tokenizer;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Completes a raw prompt (no chat template), streaming the new text to stdout. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Continue a raw prompt. Stdout carries only the generated text; statistics go to stderr.")
final class GenerateCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions modelOptions = new ModelOptions();

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Option(names = {"-p", "--prompt"}, required = true, paramLabel = "TEXT", description = "The text to continue.")
    String prompt;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (LlamaModel model = modelOptions.load();
             InferenceState state = model.newState(modelOptions.threads())) {
            Tokenizer tokenizer = model.tokenizer();
            int[] prompt = PromptTokens.raw(tokenizer, this.prompt);
            Sampler sampler = new Sampler(sampling.config(), model.config().vocabularySize());
            Generator.Result result = new Generator(model, state).generate(prompt, sampler, sampling.maxTokens,
                    sampling.stops, text -> {
                        out.print(text);
                        out.flush();
                    });
            out.println();
            out.flush();
            err.println(Statistics.line(result));
        }
        return 0;
    }
}

package eu.souverain.server.cli;

import eu.souverain.server.models.Hub;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code souverain pull REPO[:FILE|:QUANT]}: a GGUF model from a Hugging Face–compatible hub. */
@Command(name = "pull", mixinStandardHelpOptions = true,
        description = "Download a GGUF model from a Hugging Face-compatible hub into the models directory:"
                + " resumed when interrupted, checked against the hub's SHA-256, its licence and card kept beside it.")
final class PullCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelsOptions models;

    @Parameters(paramLabel = "REPO[:FILE|:QUANT]",
            description = "e.g. bartowski/Mistral-7B-Instruct-v0.3-GGUF:Q4_K_M")
    String model;

    @Option(names = "--hub", paramLabel = "URL", defaultValue = "https://huggingface.co",
            description = "The hub (default: ${DEFAULT-VALUE}); HF_TOKEN holds the access token for gated repositories.")
    URI hub;

    @Override
    public Integer call() throws Exception {
        Path file = models.open().pull(new Hub(hub, System.getenv("HF_TOKEN")), model, spec.commandLine().getErr());
        spec.commandLine().getOut().println(file);
        spec.commandLine().getErr().println("souverain: serve it with './souverain serve --model "
                + file.getFileName().toString().replaceFirst("\\.gguf$", "") + "'");
        return 0;
    }
}

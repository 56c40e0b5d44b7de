package eu.souverain.server.cli;

import eu.souverain.server.models.Catalogue;
import eu.souverain.server.models.ModelsDirectory;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code souverain models [rm NAME]}: the models directory. */
@Command(name = "models", mixinStandardHelpOptions = true,
        description = "List the models directory: name, size, quantization, architecture, context, licence, SHA-256.",
        subcommands = ModelsCommand.Remove.class)
final class ModelsCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelsOptions models;

    @Option(names = "--catalogue", description = "List the known-good chat models that 'pull NAME' fetches instead.")
    boolean catalogue;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (catalogue) {
            out.printf("%-28s %-38s %-7s %8s %8s %s%n", "NAME", "MODEL", "QUANT", "FILE", "MEMORY", "PULLS");
            for (Catalogue.Model m : Catalogue.MODELS) {
                out.printf(java.util.Locale.ROOT, "%-28s %-38s %-7s %5.1f GiB %5.1f GiB %s%n", m.name(), m.description(),
                        m.quantization(), m.fileGib(), m.memoryGib(), m.repo() + ":" + m.quantization());
            }
            out.flush();
            return 0;
        }
        var entries = models.open().list();
        if (entries.isEmpty()) {
            spec.commandLine().getErr().println("souverain: no model in " + models.open().directory()
                    + "; get one with './souverain pull REPO:QUANT'");
            return 0;
        }
        out.printf("%-40s %10s %-8s %-12s %8s %-14s %s%n", "NAME", "SIZE", "QUANT", "ARCH", "CONTEXT", "LICENCE", "SHA256");
        for (ModelsDirectory.Entry e : entries) {
            out.printf("%-40s %10s %-8s %-12s %8s %-14s %s%n", e.name(), size(e.size()), dash(e.quantization()),
                    dash(e.architecture()), e.context() == null ? "-" : e.context().toString(), dash(e.licence()),
                    dash(e.sha256()));
        }
        out.flush();
        return 0;
    }

    private static String dash(String value) {
        return value == null ? "-" : value;
    }

    private static String size(long bytes) {
        return bytes >= 1L << 30 ? String.format(java.util.Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30))
                : String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }

    @Command(name = "rm", mixinStandardHelpOptions = true,
            description = "Remove a model, its metadata and any partial download from the models directory.")
    static final class Remove implements Callable<Integer> {

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Mixin
        ModelsOptions models;

        @Parameters(paramLabel = "NAME", description = "The model's name, as 'souverain models' lists it.")
        String name;

        @Override
        public Integer call() throws Exception {
            if (name.contains("/") || name.startsWith(".")) {
                throw new IllegalArgumentException("'" + name + "' is not a model name; see './souverain models'");
            }
            if (!models.open().remove(name)) {
                throw new IllegalArgumentException("no model '" + name + "' in " + models.open().directory()
                        + "; see './souverain models'");
            }
            spec.commandLine().getErr().println("souverain: removed " + name);
            return 0;
        }
    }
}

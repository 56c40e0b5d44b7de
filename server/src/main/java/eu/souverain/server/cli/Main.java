package eu.souverain.server.cli;

import eu.souverain.tools.BenchCommand;
import eu.souverain.tools.ChatCommand;
import eu.souverain.tools.GenerateCommand;
import eu.souverain.tools.InspectCommand;
import eu.souverain.tools.LoadtestCommand;
import eu.souverain.tools.MakeModelCommand;
import eu.souverain.tools.PerplexityCommand;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code souverain} command line. */
@Command(
        name = "souverain",
        mixinStandardHelpOptions = true,
        version = "souverain 0.1.0",
        description = "Sovereign AI platform: runs GGUF language models on your own machines.",
        subcommands = {
            GenerateCommand.class,
            ChatCommand.class,
            InspectCommand.class,
            PerplexityCommand.class,
            ServeCommand.class,
            BenchCommand.class,
            LoadtestCommand.class,
            MakeModelCommand.class,
            AuditCommand.class,
            ProvenanceCommand.class,
            VaultCommand.class,
            OrgsCommand.class,
            UsersCommand.class,
            KeysCommand.class,
            PrivacyCommands.Erase.class,
            PrivacyCommands.Export.class,
            ReportCommand.class,
            PullCommand.class,
            ModelsCommand.class,
            CatalogueCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) throws Exception {
        String training = System.getProperty(AotTraining.PROPERTY);
        if (training != null) {
            AotTraining.run(java.nio.file.Path.of(training));
            System.exit(0);
        }
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given streams and returns its exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        // Bad flags: one line naming the problem, not the whole usage text.
        cli.setParameterExceptionHandler((e, arguments) -> {
            CommandLine failed = e.getCommandLine();
            err.println("error: " + e.getMessage() + " (see 'souverain " + commandPath(failed) + "--help')");
            return 2;
        });
        cli.setExecutionExceptionHandler((e, failed, parseResult) -> {
            err.println("error: " + Errors.describe(e));
            return 1;
        });
        return cli.execute(args);
    }

    private static String commandPath(CommandLine command) {
        String name = command.getCommandSpec().qualifiedName(" ");
        return name.equals("souverain") ? "" : name.substring("souverain ".length()) + " ";
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}

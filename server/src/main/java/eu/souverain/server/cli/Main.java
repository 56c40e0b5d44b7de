package eu.souverain.server.cli;

import eu.souverain.tools.BenchCommand;
import eu.souverain.tools.ChatCommand;
import eu.souverain.tools.GenerateCommand;
import eu.souverain.tools.InspectCommand;
import eu.souverain.tools.LoadtestCommand;
import eu.souverain.tools.MakeModelCommand;
import eu.souverain.tools.PerplexityCommand;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The {@code souverain} command line. Only the subcommand a command line names is built in full
 * (its options read by reflection, its object made): building all of them took most of a short
 * command's time, and some load heavy classes as they are made (logging, JSON, the store). The
 * others are outlines, name and description, enough for the usage text and for picocli to say
 * that a name is unknown.
 */
@Command(
        name = "souverain",
        mixinStandardHelpOptions = true,
        version = "souverain 0.1.0",
        description = "Sovereign AI platform: runs GGUF language models on your own machines.")
public final class Main implements Runnable {

    /** The subcommands, in the order of the usage text. */
    static final List<Class<?>> COMMANDS = List.of(
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
            CommandLine.HelpCommand.class);

    @CommandLine.Spec
    CommandSpec spec;

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
        String named = commandNamed(args);
        for (Class<?> command : COMMANDS) {
            Command annotation = command.getAnnotation(Command.class);
            if (command == CommandLine.HelpCommand.class || annotation.name().equals(named)
                    || Arrays.asList(annotation.aliases()).contains(named)) {
                cli.addSubcommand(new CommandLine(command));
            } else {
                cli.addSubcommand(annotation.name(), outline(annotation));
            }
        }
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

    /** The subcommand that {@code args} run or ask help for ({@code help NAME}); null for none. */
    private static String commandNamed(String[] args) {
        if (args.length == 0 || args[0].startsWith("-")) {
            return null;
        }
        if (args[0].equals("help")) {
            return args.length > 1 ? args[1] : null;
        }
        return args[0];
    }

    /** What the usage text of {@code souverain} shows of a subcommand that is not run. */
    private static CommandLine outline(Command annotation) {
        CommandSpec spec = CommandSpec.create().aliases(annotation.aliases());
        spec.usageMessage().description(annotation.description()).header(annotation.header())
                .hidden(annotation.hidden());
        return new CommandLine(spec);
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

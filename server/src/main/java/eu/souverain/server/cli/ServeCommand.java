package eu.souverain.server.cli;

import eu.souverain.server.api.ApiServer;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.gateway.LocalBackend;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.FirstStart;
import eu.souverain.server.tenancy.Tenancy;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Serves models over the Mistral- and OpenAI-compatible HTTP API until the process is stopped;
 * SIGTERM or Ctrl-C lets running generations finish within the grace period.
 *
 * <p>The first start on an empty store creates the installation's organization, its owner and a
 * first API key, and prints the owner's password and the key on stdout, that once.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve models over a Mistral- and OpenAI-compatible HTTP API (/v1/chat/completions, /v1/models).")
final class ServeCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    StoreOptions store;

    @Option(names = "--organization", paramLabel = "NAME",
            description = "The first start's organization (default: ${DEFAULT-VALUE}).")
    String organization = "default";

    @Option(names = "--owner-email", paramLabel = "EMAIL",
            description = "The first start's owner, who signs in with it (default: ${DEFAULT-VALUE}); the password is "
                    + "random, printed once, or taken from the environment variable " + FirstStart.OWNER_PASSWORD_VARIABLE + ".")
    String ownerEmail = "owner@localhost";

    @Option(names = {"-m", "--model"}, paramLabel = "[NAME=]FILE",
            description = "A GGUF model to serve, named NAME or after its file (without .gguf); repeatable "
                    + "(default: the bundled " + ModelOptions.DEFAULT_MODEL + ").")
    List<String> models = new ArrayList<>();

    @Option(names = "--host", paramLabel = "ADDRESS", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host = "127.0.0.1";

    @Option(names = {"-p", "--port"}, paramLabel = "PORT", description = "Port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port = 8080;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Threads for each forward pass (default: available processors).")
    Integer threads;

    @Option(names = {"-c", "--context"}, paramLabel = "N", description = "Context length in tokens (default: each model's own).")
    int context;

    @Option(names = "--queue", paramLabel = "N", description = "Requests that may wait per model before 429 (default: ${DEFAULT-VALUE}).")
    int queue = 16;

    @Option(names = "--max-body", paramLabel = "BYTES", description = "Largest request body accepted (default: ${DEFAULT-VALUE}).")
    long maxBody = ApiServer.Settings.DEFAULT_MAX_BODY_BYTES;

    @Option(names = "--shutdown-grace", paramLabel = "SECONDS", description = "How long running generations may finish on shutdown (default: ${DEFAULT-VALUE}).")
    long shutdownGrace = ApiServer.Settings.DEFAULT_SHUTDOWN_GRACE.toSeconds();

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        Map<String, Path> files = modelFiles();
        int threadCount = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (context < 0) {
            throw new IllegalArgumentException("--context must not be negative, was " + context);
        }
        if (shutdownGrace < 0) {
            throw new IllegalArgumentException("--shutdown-grace must not be negative, was " + shutdownGrace);
        }
        Database database = store.open();
        ApiServer server;
        Optional<FirstStart> firstStart;
        try {
            Tenancy tenancy = new Tenancy(database, new AuditLog(database, Clock.systemUTC()), Clock.systemUTC());
            firstStart = FirstStart.run(tenancy, organization, ownerEmail,
                    System.getenv(FirstStart.OWNER_PASSWORD_VARIABLE));
            server = ApiServer.start(new ApiServer.Settings(host, port, maxBody, Duration.ofSeconds(shutdownGrace)),
                    tenancy);
        } catch (RuntimeException e) {
            database.close();
            throw e;
        }
        String baseUrl = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + server.port() + "/v1";
        // Before the models load: a start that fails later must not lose the secrets made now.
        firstStart.ifPresent(made -> {
            PrintWriter out = spec.commandLine().getOut();
            out.print(made.announcement(baseUrl));
            out.flush();
        });
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            server.close();
            database.close();
            stopped.countDown();
        }, "souverain-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            server.serve(LocalBackend.load(files, context, threadCount, queue));
        } catch (Exception e) {
            Runtime.getRuntime().removeShutdownHook(hook);
            server.close();
            database.close();
            throw e;
        }
        err.println("souverain: serving " + String.join(", ", files.keySet()) + " at " + baseUrl
                + " (store: " + database.location() + ")");
        err.flush();
        stopped.await();
        return 0;
    }

    /** NAME=FILE, or FILE named after its file name without .gguf; names must be unique. */
    private Map<String, Path> modelFiles() {
        List<String> specs = models.isEmpty()
                ? List.of(Path.of(System.getProperty("souverain.home", ".")).resolve(ModelOptions.DEFAULT_MODEL).toString())
                : models;
        Map<String, Path> files = new LinkedHashMap<>();
        for (String model : specs) {
            int equals = model.indexOf('=');
            String name;
            Path path;
            if (equals > 0) {
                name = model.substring(0, equals);
                path = Path.of(model.substring(equals + 1));
            } else {
                path = Path.of(model);
                String file = path.getFileName().toString();
                name = file.endsWith(".gguf") ? file.substring(0, file.length() - ".gguf".length()) : file;
            }
            if (name.isBlank()) {
                throw new IllegalArgumentException("--model " + model + ": the model name is empty");
            }
            if (files.putIfAbsent(name, path) != null) {
                throw new IllegalArgumentException("--model " + model + ": two models are named '" + name
                        + "'; name them with NAME=FILE");
            }
        }
        return files;
    }
}

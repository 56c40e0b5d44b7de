package eu.souverain.server.cli;

import eu.souverain.server.api.ApiServer;
import eu.souverain.server.audit.AuditCheckpoints;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.audit.CheckpointSink;
import eu.souverain.server.backends.Backend;
import eu.souverain.server.backends.BackendLocation;
import eu.souverain.server.backends.Backends;
import eu.souverain.server.backends.BackendsFile;
import eu.souverain.server.backends.LocalBackend;
import eu.souverain.server.backends.RemoteBackend;
import eu.souverain.server.backends.SentenceEmbeddingModel;
import eu.souverain.server.catalogue.CatalogueStore;
import eu.souverain.server.documents.Documents;
import eu.souverain.server.limits.Metering;
import eu.souverain.server.models.MemoryFit;
import eu.souverain.server.privacy.Privacy;
import eu.souverain.server.privacy.Retention;
import eu.souverain.server.privacy.Redactions;
import eu.souverain.server.provenance.ProvenanceSigner;
import eu.souverain.server.sovereignty.Residency;
import eu.souverain.server.sovereignty.SovereigntyReport;
import eu.souverain.server.sso.OidcSettings;
import eu.souverain.server.sso.OrganizationSignOn;
import eu.souverain.server.sso.SingleSignOn;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.FirstStart;
import eu.souverain.server.tenancy.Tenancy;
import eu.souverain.server.vault.Vault;
import eu.souverain.tools.ModelFileProblems;
import eu.souverain.tools.ModelOptions;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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

    /** How often stored messages past their organization's retention are purged. */
    static final Duration RETENTION_INTERVAL = Duration.ofHours(1);

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

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

    @Option(names = "--queue", paramLabel = "N", description = "Sequences (one per choice) that may wait per model before 429 (default: ${DEFAULT-VALUE}).")
    int queue = 16;

    @Option(names = "--max-sequences", paramLabel = "N",
            description = "Sequences each model generates at once, advanced together in one batched step (default: ${DEFAULT-VALUE}).")
    int maxSequences = 8;

    @Option(names = "--kv-cache-mb", paramLabel = "MB",
            description = "Memory of each model's key/value cache, shared by its sequences and its prefix cache; "
                    + "a request waits until its prompt and answer fit (default: room for four whole contexts, at most 4096).")
    long kvCacheMb;

    @Option(names = "--request-timeout", paramLabel = "SECONDS",
            description = "How long a generation may take, waiting included, before it ends with an error; 0 for no limit (default: ${DEFAULT-VALUE}).")
    long requestTimeout = 600;

    @Option(names = "--max-body", paramLabel = "BYTES", description = "Largest request body accepted (default: ${DEFAULT-VALUE}).")
    long maxBody = ApiServer.Settings.DEFAULT_MAX_BODY_BYTES;

    @Option(names = "--embedding-model", paramLabel = "NAME|off",
            description = "The model that embeds texts when a request names none, and the server's own features: the "
                    + "bundled sentence-embedding model " + SentenceEmbeddingModel.BUNDLED + " (default), any model "
                    + "served (a remote backend's, for instance; the bundled one is then not loaded), or off for no "
                    + "bundled model (embeddings then default to the first model).")
    String embeddingModel = SentenceEmbeddingModel.BUNDLED;

    @Option(names = "--rerank-model", paramLabel = "NAME",
            description = "A model of a remote backend that serves POST {base}/rerank (vLLM, TEI, Jina, Cohere), to"
                    + " reorder document search results by: the passages then leave for it where the organization's"
                    + " residency policy allows (default: none, results in the search's own order).")
    String rerankModel;

    @Option(names = "--backends", paramLabel = "FILE",
            description = "Remote OpenAI-compatible backends to route to, with their locations (JSON; see docs/backends.md).")
    Path backendsFile;

    @Option(names = "--energy-wh-per-1k-tokens", paramLabel = "BACKEND=WH",
            description = "The energy a backend takes for 1,000 tokens, in watt-hours, as the operator estimates it"
                    + " (local=0.3); usage reports multiply each call's tokens by it and call the result an estimate."
                    + " Repeatable; a backend without a figure has no estimate.")
    Map<String, Double> energyFigures = new LinkedHashMap<>();

    @Mixin
    ModelsOptions modelsDirectory;

    @Mixin
    LocationOptions location;

    @Mixin
    StoreOptions store;

    @Mixin
    AuditOptions audit;

    @Mixin
    VaultOptions vault;

    @Mixin
    OidcOptions oidc;

    @Option(names = "--shutdown-grace", paramLabel = "SECONDS", description = "How long running generations may finish on shutdown (default: ${DEFAULT-VALUE}).")
    long shutdownGrace = ApiServer.Settings.DEFAULT_SHUTDOWN_GRACE.toSeconds();

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        Map<String, Path> files = modelFiles();
        MemoryFit.require(files, kvCacheMb, MemoryFit.machineMemory());
        int threadCount = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (context < 0) {
            throw new IllegalArgumentException("--context must not be negative, was " + context);
        }
        if (kvCacheMb < 0) {
            throw new IllegalArgumentException("--kv-cache-mb must not be negative, was " + kvCacheMb);
        }
        if (requestTimeout < 0) {
            throw new IllegalArgumentException("--request-timeout must not be negative, was " + requestTimeout);
        }
        LocalBackend.Settings serving = new LocalBackend.Settings(context, threadCount, queue, maxSequences, kvCacheMb,
                requestTimeout == 0 ? null : Duration.ofSeconds(requestTimeout));
        if (shutdownGrace < 0) {
            throw new IllegalArgumentException("--shutdown-grace must not be negative, was " + shutdownGrace);
        }
        energyFigures.forEach((backend, figure) -> {
            if (!Double.isFinite(figure) || figure < 0) {
                throw new IllegalArgumentException("--energy-wh-per-1k-tokens " + backend + "=" + figure
                        + ": the figure must be a number of watt-hours, at least 0");
            }
        });
        Optional<OidcSettings> singleSignOn = oidc.settings(System::getenv);
        BackendLocation here = location.thisHost();
        // The whole file is checked before anything starts, so that a mistake in it is all the operator sees.
        List<RemoteBackend.Config> remotes = backendsFile == null ? List.of() : BackendsFile.read(backendsFile);
        requireServed(embeddingModel, files, remotes);
        requireRemote(rerankModel, remotes);
        List<CheckpointSink> sinks = audit.parsedSinks();
        Clock clock = Clock.systemUTC();
        // Before the store is opened: a first start must not make its secrets for a server that cannot listen.
        PortCheck.requireFree(host, port);
        // Loaded once the chat models answer (below): ONNX Runtime's start took the cores the rest needed.
        CompletableFuture<SentenceEmbeddingModel> bundled = embeddingModel.equals(SentenceEmbeddingModel.BUNDLED)
                ? new CompletableFuture<>() : null;
        // The chat models load while the store opens and the HTTP server starts, each a few tenths of a second.
        CompletableFuture<LocalBackend> local = inBackground(() -> ModelFileProblems.explained(files,
                () -> bundled == null ? LocalBackend.load(files, serving, here, null)
                        : LocalBackend.loadWithBundledSentences(files, serving, here, bundled)));
        Database database;
        try {
            database = store.open();
        } catch (RuntimeException e) {
            discard(local);
            throw e;
        }
        store.warnWhenOpenToOthers(err);
        AuditLog auditLog = new AuditLog(database, clock);
        Tenancy tenancy = new Tenancy(database, auditLog, clock);
        // The HTTP server's routes are made while the keys open; it listens once they have.
        CompletableFuture<ApiServer> http = inBackground(() -> ApiServer.create(
                new ApiServer.Settings(host, port, maxBody, Duration.ofSeconds(shutdownGrace)), tenancy));
        AuditCheckpoints checkpoints;
        Privacy privacy;
        Optional<FirstStart> firstStart;
        Vault keys;
        Optional<SingleSignOn> sso;
        try {
            // Opened before serving, so that an unsafe or corrupt key file stops the server here.
            keys = vault.open(database, store.data);
            privacy = Privacy.open(database, keys, auditLog, clock);
            firstStart = FirstStart.run(tenancy, organization, ownerEmail,
                    System.getenv(FirstStart.OWNER_PASSWORD_VARIABLE));
            checkpoints = audit.start(database, store.data);
            sso = singleSignOn.map(settings -> new SingleSignOn(settings, database, tenancy, clock));
        } catch (RuntimeException e) {
            database.close();
            discard(local);
            throw e;
        }
        ScheduledExecutorService retention = privacy.retention().schedule(RETENTION_INTERVAL);
        // The final checkpoint is written after the last request has finished.
        Runnable closeStore = () -> {
            retention.shutdownNow();
            checkpoints.close();
            database.close();
        };
        ApiServer server;
        try {
            server = loaded(http).listen();
        } catch (Exception e) {
            closeStore.run();
            discard(local);
            throw e;
        }
        sso.ifPresent(server::signInWith);
        server.organizationsSignInWith(new OrganizationSignOn(database, tenancy, clock, System::getenv));
        String origin = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + server.port();
        String baseUrl = origin + "/v1";
        // Before the models load: a start that fails later must not lose the secrets made now.
        firstStart.ifPresent(made -> {
            PrintWriter out = spec.commandLine().getOut();
            out.print(made.announcement(baseUrl));
            out.flush();
        });
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            server.close();
            closeStore.run();
            stopped.countDown();
        }, "souverain-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        Backends backends;
        try {
            backends = backends(loaded(local), remotes, embeddingModel.equals("off") ? null : embeddingModel);
            Redactions redactions = new Redactions(database, auditLog, clock);
            SovereigntyReport report = new SovereigntyReport(new SovereigntyReport.Installation(database, store.data,
                    keys, SovereigntyReport.auditKey(store.data), sinks,
                    backends.all().stream().map(SovereigntyReport.DeclaredBackend::of).toList(), files, baseUrl),
                    tenancy, redactions, clock);
            for (String named : energyFigures.keySet()) {
                if (backends.all().stream().noneMatch(b -> b.name().equals(named))) {
                    throw new IllegalArgumentException("--energy-wh-per-1k-tokens names backend '" + named
                            + "', which is not served; the backends are " + String.join(", ",
                            backends.all().stream().map(Backend::name).toList()));
                }
            }
            Documents documents = new Documents(database, keys, auditLog, clock, store.data, Documents.Settings.defaults().withRerankModel(rerankModel));
            // Documents older than an organization's retention go as its conversations do.
            retention.scheduleWithFixedDelay(() -> {
                try {
                    database.jdbi().withHandle(Retention::policies).ifPresent(days -> documents.purge(days, clock.millis()));
                } catch (RuntimeException e) {
                    err.println("souverain: the documents' retention purge failed: " + e.getMessage());
                }
            }, 0, RETENTION_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
            server.serve(new ApiServer.Services(backends, new Residency(database, auditLog, clock), privacy, redactions,
                    report, new Metering(database, auditLog, clock, energyFigures),
                    ProvenanceSigner.open(store.data.resolve(ProvenanceSigner.FILE)),
                    new CatalogueStore(database, auditLog, keys, clock), documents));
        } catch (Exception e) {
            Runtime.getRuntime().removeShutdownHook(hook);
            server.close();
            closeStore.run();
            throw e;
        }
        err.println("souverain: local engine in " + here.describe()
                + (here.country() == null ? "; the country is unknown: give it with --country" : ""));
        for (Backend remote : backends.all().subList(1, backends.all().size())) {
            err.println("souverain: backend '" + remote.name() + "' at " + ((RemoteBackend) remote).config().baseUrl()
                    + " in " + remote.location().describe() + " serves "
                    + String.join(", ", remote.models().stream().map(m -> m.id()).toList()));
        }
        err.println("souverain: serving " + String.join(", ", files.keySet()) + " at " + baseUrl
                + " (embeddings: " + backends.defaultEmbeddingModel() + ")"
                + (rerankModel == null ? "" : " (search reranked by: " + rerankModel + ")")
                + " (store: " + database.location() + ")");
        err.println("souverain: chat web app at " + origin + "/");
        err.flush();
        if (bundled != null) {
            loadBundled(bundled, Math.max(1, threadCount / 2), serving, err);
        }
        stopped.await();
        return 0;
    }

    /**
     * The local engine and the remotes, with the default embedding model (null: the bundled one if
     * loaded, or the first); a model name served twice, or an embedding model none serves, is
     * refused, after releasing them all.
     */
    private static Backends backends(LocalBackend local, List<RemoteBackend.Config> remotes, String embeddingModel) {
        List<RemoteBackend> started = remotes.stream().map(RemoteBackend::new).toList();
        try {
            return Backends.of(local, started, embeddingModel);
        } catch (IllegalArgumentException e) {
            local.shutdown(Duration.ZERO);
            local.close();
            started.forEach(RemoteBackend::close);
            throw e;
        }
    }

    /** Runs {@code load} on a thread of its own. */
    private static <T> CompletableFuture<T> inBackground(Callable<T> load) {
        CompletableFuture<T> loading = new CompletableFuture<>();
        Thread.ofPlatform().name("souverain-start").daemon().start(() -> {
            try {
                loading.complete(load.call());
            } catch (Throwable e) {
                loading.completeExceptionally(e);
            }
        });
        return loading;
    }

    /** What was made in the background, waited for; its failure is this start's, as thrown there. */
    private static <T> T loaded(CompletableFuture<T> loading) throws Exception {
        try {
            return loading.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** Releases the models loaded in the background, once they are, when the start failed. */
    private static void discard(CompletableFuture<LocalBackend> loading) {
        loading.thenAccept(loaded -> {
            loaded.shutdown(Duration.ZERO);
            loaded.close();
        });
    }

    /**
     * Loads the bundled sentence-embedding model on a thread of its own, to run on {@code threads}
     * threads, and says on {@code err} when it serves, or why it cannot: the rest is served meanwhile.
     */
    private static void loadBundled(CompletableFuture<SentenceEmbeddingModel> bundled, int threads,
                                    LocalBackend.Settings serving, PrintWriter err) {
        long started = System.nanoTime();
        bundled.whenComplete((model, failure) -> {
            if (failure instanceof CancellationException) {
                return;
            }
            err.println(failure == null
                    ? "souverain: embedding model " + SentenceEmbeddingModel.BUNDLED + " loaded in "
                            + (System.nanoTime() - started) / 1_000_000 + " ms"
                    : "souverain: the bundled embedding model " + SentenceEmbeddingModel.BUNDLED + " cannot load ("
                            + failure.getMessage() + "): embeddings answer 503; start with --embedding-model off,"
                            + " or name another model");
            err.flush();
        });
        SentenceEmbeddingModel.loadBundledInBackground(bundled, threads, serving.queueCapacity(),
                serving.requestTimeout());
    }

    /** Refuses, before anything starts, a --rerank-model that no remote backend serves: the local engine does not rerank. */
    private static void requireRemote(String rerankModel, List<RemoteBackend.Config> remotes) {
        if (rerankModel != null && remotes.stream().noneMatch(remote -> remote.models().containsKey(rerankModel))) {
            throw new IllegalArgumentException("--rerank-model '" + rerankModel + "' is served by no remote backend;"
                    + " declare it in the --backends file, under the backend whose {base}/rerank serves it");
        }
    }

    /** Refuses, before anything starts, an --embedding-model that no model file or remote backend serves. */
    private static void requireServed(String embeddingModel, Map<String, Path> files, List<RemoteBackend.Config> remotes) {
        if (embeddingModel.equals(SentenceEmbeddingModel.BUNDLED) || embeddingModel.equals("off")
                || files.containsKey(embeddingModel)
                || remotes.stream().anyMatch(remote -> remote.models().containsKey(embeddingModel))) {
            return;
        }
        List<String> served = new ArrayList<>(files.keySet());
        remotes.forEach(remote -> served.addAll(remote.models().keySet()));
        throw new IllegalArgumentException("--embedding-model '" + embeddingModel + "' is served by no model file and no "
                + "backend: give " + SentenceEmbeddingModel.BUNDLED + " (the bundled one), off, or one of "
                + String.join(", ", served));
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
            path = modelsDirectory.open().resolve(path);
            if (files.putIfAbsent(name, path) != null) {
                throw new IllegalArgumentException("--model " + model + ": two models are named '" + name
                        + "'; name them with NAME=FILE");
            }
        }
        return files;
    }
}

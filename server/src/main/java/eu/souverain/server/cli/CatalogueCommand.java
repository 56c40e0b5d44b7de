package eu.souverain.server.cli;

import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.backends.Backends;
import eu.souverain.server.backends.LocalBackend;
import eu.souverain.server.calls.ModelCalls;
import eu.souverain.server.catalogue.CatalogueJob;
import eu.souverain.server.catalogue.CatalogueStore;
import eu.souverain.server.catalogue.Enrichment;
import eu.souverain.server.catalogue.EnrichmentSettings;
import eu.souverain.server.catalogue.PrestaShop;
import eu.souverain.server.catalogue.ProductSelection;
import eu.souverain.server.catalogue.ReviewFiles;
import eu.souverain.server.catalogue.ShopField;
import eu.souverain.server.catalogue.ShopKey;
import eu.souverain.server.catalogue.WriteMethod;
import eu.souverain.server.limits.Metering;
import eu.souverain.server.models.MemoryFit;
import eu.souverain.server.privacy.Redactions;
import eu.souverain.server.provenance.ProvenanceSigner;
import eu.souverain.server.sovereignty.Residency;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.Scope;
import eu.souverain.server.tenancy.Tenancy;
import eu.souverain.server.vault.Vault;
import eu.souverain.tools.ModelFileProblems;
import eu.souverain.tools.ModelOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code souverain catalogue}: product texts for an e-commerce shop's catalogue. */
@Command(name = "catalogue", mixinStandardHelpOptions = true,
        description = "Product texts for a shop's catalogue, written by a model on this machine.",
        subcommands = CatalogueCommand.Enrich.class)
final class CatalogueCommand implements Runnable {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "enrich", mixinStandardHelpOptions = true,
            description = "Write the empty description, short description and SEO fields of a PrestaShop shop's"
                    + " products, in each language, with a model run on this machine, and write them back through the"
                    + " shop's webservice. Resumable: the same command run again skips what it already wrote.")
    static final class Enrich implements Callable<Integer> {

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Option(names = "--shop", paramLabel = "URL", required = true,
                description = "The shop's URL (its webservice is URL/api).")
        String shop;

        @Option(names = "--key", paramLabel = "env:VAR", required = true,
                description = "The environment variable holding the webservice key (never the key itself).")
        String key;

        @Option(names = "--languages", paramLabel = "ISO,...", required = true,
                description = "The languages to write, by ISO code (e.g. fr,en).")
        String languages;

        @Option(names = "--fields", paramLabel = "FIELD,...", required = true,
                description = "Among description_short, description, meta_title, meta_description.")
        String fields;

        @Option(names = "--products", paramLabel = "IDS", description = "Product ids and ranges, e.g. 12,15-40 (default: all).")
        String products;

        @Option(names = "--category", paramLabel = "ID", description = "Only the products of this default category.")
        Integer category;

        @Option(names = "--model", paramLabel = "NAME|FILE",
                description = "The model: a name in the models directory or a GGUF file (default: the bundled "
                        + ModelOptions.DEFAULT_MODEL + ").")
        String model;

        @Option(names = "--tone", paramLabel = "TEXT", description = "The tone asked of the texts, e.g. 'warm, concise'.")
        String tone;

        @Option(names = "--overwrite", description = "Also replace fields that already hold text.")
        boolean overwrite;

        @Option(names = "--dry-run", description = "Write nothing to the shop: write the proposals to the review"
                + " files (--review) instead.")
        boolean dryRun;

        @Option(names = "--review", paramLabel = "PATH",
                description = "Where a dry run writes PATH.csv and PATH.jsonl (default: ${DEFAULT-VALUE}).")
        Path review = Path.of("catalogue-review");

        @Option(names = "--concurrency", paramLabel = "N",
                description = "Products worked on, hence writes to the shop, at once, at most (default: ${DEFAULT-VALUE}).")
        int concurrency = 4;

        @Option(names = "--write-method", paramLabel = "auto|patch|put",
                description = "PATCH (PrestaShop 8+) or PUT of the whole product (older); auto reads the shop's"
                        + " version (default: ${DEFAULT-VALUE}).")
        String writeMethod = "auto";

        @Option(names = "--max-tokens", paramLabel = "N",
                description = "Tokens the model may write per product and language (default: ${DEFAULT-VALUE}).")
        int maxTokens = EnrichmentSettings.DEFAULT_MAX_TOKENS;

        @Option(names = "--threads", paramLabel = "N", description = "Threads for each forward pass (default: available processors).")
        Integer threads;

        @Option(names = "--org", paramLabel = "ORG",
                description = "The organization whose limits, policy and audit log apply: id or name (default: the only one).")
        String organization;

        @Mixin
        ModelsOptions modelsDirectory;

        @Mixin
        LocationOptions location;

        @Mixin
        StoreOptions store;

        @Mixin
        VaultOptions vault;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            ShopKey shopKey = ShopKey.fromReference(key, System::getenv);
            Path modelFile = model == null
                    ? Path.of(System.getProperty("souverain.home", ".")).resolve(ModelOptions.DEFAULT_MODEL)
                    : modelsDirectory.open().resolve(Path.of(model));
            String modelName = modelFile.getFileName().toString().replaceFirst("\\.gguf$", "");
            EnrichmentSettings settings = new EnrichmentSettings(shop, List.of(languages.split(",")), ShopField.list(fields),
                    new ProductSelection(products, category), modelName, tone, overwrite, dryRun, concurrency,
                    WriteMethod.of(writeMethod), maxTokens, null);
            Map<String, Path> files = Map.of(modelName, modelFile);
            MemoryFit.require(files, 0, MemoryFit.machineMemory());
            Clock clock = Clock.systemUTC();
            try (Database database = store.open()) {
                AuditLog audit = new AuditLog(database, clock);
                Tenancy tenancy = new Tenancy(database, audit, clock);
                String organizationId = OrganizationChoice.resolve(tenancy, organization).id();
                Vault keys = vault.open(database, store.data);
                int threadCount = threads != null ? threads : Runtime.getRuntime().availableProcessors();
                // Room in the queue for every product the job works on at once.
                LocalBackend local = ModelFileProblems.explained(files, () -> LocalBackend.load(files,
                        new LocalBackend.Settings(0, threadCount, Math.max(16, concurrency * 2),
                                Math.max(1, concurrency), 0, null), location.thisHost()));
                Backends backends = Backends.of(local, List.of());
                try {
                    ModelCalls calls = new ModelCalls(backends, new Residency(database, audit, clock),
                            new Redactions(database, audit, clock), audit, tenancy.groups(),
                            new Metering(database, audit, clock),
                            ProvenanceSigner.open(store.data.resolve(ProvenanceSigner.FILE)));
                    Actor actor = Actor.commandLine();
                    Principal caller = new Principal(organizationId, actor.id(), null, Set.of(Scope.CHAT));
                    CatalogueStore catalogue = new CatalogueStore(database, audit, keys, clock);
                    CatalogueJob job = catalogue.open(settings.commandLineJobId(organizationId), organizationId,
                            actor.id(), null, settings, null);
                    err.println("souverain: catalogue job " + job.id() + (job.doneProducts() > 0 || job.written() > 0
                            ? " (resumed: " + job.written() + " fields already " + (dryRun ? "proposed" : "written") + ")"
                            : "") + " on " + settings.shopUrl() + " with " + modelName);
                    ProgressBar bar = new ProgressBar(err, System.console() != null, clock);
                    Enrichment enrichment = new Enrichment(catalogue, calls, PrestaShop.Retry.DEFAULT);
                    Enrichment.Counts counts = enrichment.run(job, shopKey, caller, null, bar);
                    bar.finish(counts);
                    out.println((dryRun ? "proposed " : "written ") + counts.written() + " fields; skipped "
                            + counts.skipped() + " filled fields; " + counts.failed() + " failed; "
                            + counts.doneProducts() + "/" + counts.totalProducts() + " products in "
                            + bar.elapsed() + " (" + bar.rate(counts.doneProducts()) + " products/min)");
                    if (dryRun) {
                        int rows = ReviewFiles.write(catalogue, catalogue.find(organizationId, job.id()).orElseThrow(), review);
                        out.println("review: " + rows + " proposals in " + review + ".csv and " + review + ".jsonl");
                    }
                    return counts.failed() > 0 ? 1 : 0;
                } finally {
                    backends.shutdown(Duration.ZERO);
                    backends.close();
                }
            }
        }
    }
}

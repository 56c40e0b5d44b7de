package eu.souverain.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.backends.BackendsFile;
import eu.souverain.server.backends.RemoteBackend;
import eu.souverain.server.privacy.Redactions;
import eu.souverain.server.sovereignty.ReportText;
import eu.souverain.server.documents.Documents;
import eu.souverain.server.sovereignty.SovereigntyReport;
import eu.souverain.server.sovereignty.SovereigntyReport.DeclaredBackend;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.Tenancy;
import eu.souverain.server.vault.KeyFileMasterKey;
import eu.souverain.server.vault.Vault;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The sovereignty report of a store, read directly whether or not the server runs: the same
 * report as GET /v1/sovereignty/report for every organization, with the backends, models and
 * location this command is given (a running server's own view is its HTTP route's).
 */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Where the data is, who has access, what protects it: computed from the store, keys and audit log.")
final class ReportCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "Write the report as JSON (the shape of GET /v1/sovereignty/report).")
    boolean json;

    @Option(names = "--backends", paramLabel = "FILE",
            description = "A backends file, as given to serve; repeatable.")
    List<Path> backendsFiles = new ArrayList<>();

    @Option(names = {"-m", "--model"}, paramLabel = "[NAME=]FILE", description = "A served model's file; repeatable.")
    List<String> models = new ArrayList<>();

    @Mixin
    LocationOptions location;

    @Mixin
    StoreOptions store;

    @Mixin
    AuditOptions audit;

    @Mixin
    VaultOptions vault;

    @Override
    public Integer call() throws Exception {
        List<DeclaredBackend> backends = new ArrayList<>();
        Map<String, Path> files = new LinkedHashMap<>();
        for (String model : models) {
            int equals = model.indexOf('=');
            Path path = Path.of(equals > 0 ? model.substring(equals + 1) : model);
            String file = path.getFileName().toString();
            files.put(equals > 0 ? model.substring(0, equals) : file.replaceFirst("\\.gguf$", ""), path);
        }
        backends.add(new DeclaredBackend("local", false, null,
                location.thisHost(), List.copyOf(files.keySet())));
        for (Path file : backendsFiles) {
            for (RemoteBackend.Config config : BackendsFile.read(file)) {
                backends.add(DeclaredBackend.of(config));
            }
        }
        Path keyFile = store.data.resolve(KeyFileMasterKey.FILE);
        // Opening the default provider would make a key where none is, and report it as the one in use.
        if (vault.masterKey == null && !Files.exists(keyFile)) {
            throw new IllegalArgumentException("there is no master key file at " + keyFile + ": give --data as serve"
                    + " was given it, or --master-key when serve uses another provider");
        }
        try (Database database = store.open()) {
            AuditLog auditLog = new AuditLog(database, Clock.systemUTC());
            Vault keys = vault.open(database, store.data);
            SovereigntyReport report = new SovereigntyReport(new SovereigntyReport.Installation(database, store.data, keys,
                    SovereigntyReport.auditKey(store.data), audit.parsedSinks(), backends, files, null),
                    new Tenancy(database, auditLog, Clock.systemUTC()),
                    new Redactions(database, auditLog, Clock.systemUTC()),
                    Clock.systemUTC());
            ObjectNode built = report.build(null);
            try (Documents documents = new Documents(database, keys, auditLog, Clock.systemUTC(), store.data,
                    Documents.Settings.defaults())) {
                documents.describe(built);
            }
            PrintWriter out = spec.commandLine().getOut();
            out.print(json ? new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(built) + "\n"
                    : ReportText.of(built));
            out.flush();
            return built.path("security").path("audit").path("chain_intact").asBoolean() ? 0 : 1;
        }
    }
}

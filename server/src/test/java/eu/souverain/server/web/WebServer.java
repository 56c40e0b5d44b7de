package eu.souverain.server.web;

import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.model.SyntheticModel;
import eu.souverain.engine.tensor.GGMLType;
import eu.souverain.server.api.ApiServer;
import eu.souverain.server.api.TestServices;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.backends.BackendLocation;
import eu.souverain.server.backends.Backends;
import eu.souverain.server.backends.LocalBackend;
import eu.souverain.server.backends.SentenceEmbeddingModel;
import eu.souverain.server.catalogue.CatalogueStore;
import eu.souverain.server.limits.Metering;
import eu.souverain.server.privacy.Privacy;
import eu.souverain.server.privacy.Redactions;
import eu.souverain.server.provenance.ProvenanceSigner;
import eu.souverain.server.sovereignty.Residency;
import eu.souverain.server.sso.OrganizationSignOn;
import eu.souverain.server.sovereignty.SovereigntyReport;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.FirstStart;
import eu.souverain.server.tenancy.Organization;
import eu.souverain.server.tenancy.Role;
import eu.souverain.server.tenancy.Tenancy;
import eu.souverain.server.vault.KeyFileMasterKey;
import eu.souverain.server.vault.Vault;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The whole platform as {@code serve} runs it, on a free loopback port, once for the test JVM: a
 * SQLite store in a temporary directory with its first start made, the vault, conversations,
 * residency, redaction and the sovereignty report. It serves the bundled {@value #STORIES} and
 * {@value #SLOW}, a synthetic model of some 15 ms a token on one thread, whose answers run for a couple
 * of seconds: long enough for a test to watch them grow and to stop them.
 */
final class WebServer {

    static final String STORIES = "stories260K";
    static final String SLOW = "slow";
    static final String OWNER = "owner@web.test";
    static final String PASSWORD = "correct horse battery staple";
    /** The project root, where the bundled model lives (surefire runs in server/). */
    static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    final Database database;
    final Tenancy tenancy;
    final Organization organization;
    final ApiServer server;
    private final AtomicInteger users = new AtomicInteger();

    private WebServer() throws IOException {
        Path dir = Files.createTempDirectory("souverain-web-test");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir)));
        Clock clock = Clock.systemUTC();
        database = Database.sqlite(dir.resolve(Database.SQLITE_FILE));
        AuditLog audit = new AuditLog(database, clock);
        tenancy = new Tenancy(database, audit, clock);
        organization = FirstStart.run(tenancy, "Web test", OWNER, PASSWORD).orElseThrow().organization();
        Vault vault = new Vault(database, KeyFileMasterKey.open(dir.resolve("keys").resolve(KeyFileMasterKey.FILE)),
                audit, clock);
        Map<String, Path> models = new LinkedHashMap<>();
        models.put(STORIES, ROOT.resolve("models/stories260K.gguf"));
        models.put(SLOW, slowModel(dir));
        server = ApiServer.start(new ApiServer.Settings("127.0.0.1", 0, 1 << 20, Duration.ZERO), tenancy);
        // As serve does; no SOUVERAIN_OIDC_ variable is set, so organizations' providers are public clients.
        server.organizationsSignInWith(new OrganizationSignOn(database, tenancy, clock, Map.<String, String>of()::get));
        // With the bundled sentence-embedding model, as serve runs by default: the chat must not offer it.
        Backends backends = Backends.of(LocalBackend.load(models, new LocalBackend.Settings(0, 1, 16, 4, 0, null),
                BackendLocation.thisHost(null, null, null, List.of()), SentenceEmbeddingModel.loadBundled(1, 16, null)),
                List.of());
        Redactions redactions = new Redactions(database, audit, clock);
        server.serve(new ApiServer.Services(backends, new Residency(database, audit, clock),
                Privacy.open(database, vault, audit, clock), redactions,
                new SovereigntyReport(new SovereigntyReport.Installation(database, dir, vault,
                        SovereigntyReport.auditKey(dir), List.of(),
                        backends.all().stream().map(SovereigntyReport.DeclaredBackend::of).toList(), models, url() + "v1"),
                        tenancy, redactions, clock),
                new Metering(database, audit, clock, Map.of(LocalBackend.NAME, 0.3)),
                ProvenanceSigner.open(dir.resolve(ProvenanceSigner.FILE)), new CatalogueStore(database, audit, vault, clock),
                TestServices.documents(database, vault, audit, clock, dir)));
    }

    /** The test's directory and all in it: the slow model alone is a few hundred megabytes. */
    private static void delete(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path slowModel(Path dir) throws IOException {
        Path model = dir.resolve("slow.gguf");
        try (GGUFFile stories = GGUFFile.open(ROOT.resolve("models/stories260K.gguf"))) {
            SyntheticModel.write(model, new SyntheticModel.Shape(512, 16, 8, 8, 64, 1536, 192, 10000f, 0, false, false),
                    GGMLType.F32, SyntheticModel.Init.standard(3), stories.metadata());
        }
        return model;
    }

    private static final class Shared {
        static final WebServer INSTANCE;

        static {
            try {
                INSTANCE = new WebServer();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The server of this test JVM, started on first use. */
    static WebServer shared() {
        return Shared.INSTANCE;
    }

    /** The page's address: http://127.0.0.1:PORT/ (a loopback address is a secure context, so the Secure cookie holds). */
    String url() {
        return "http://127.0.0.1:" + server.port() + "/";
    }

    /** A new user of the organization with {@code role}, signing in with {@link #PASSWORD}; returns its email. */
    String newUser(Role role) {
        String email = role.wireName() + users.incrementAndGet() + "@web.test";
        tenancy.users().create(organization.id(), email, role, PASSWORD, Actor.SYSTEM, true);
        return email;
    }
}

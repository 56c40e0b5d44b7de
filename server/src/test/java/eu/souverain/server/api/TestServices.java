package eu.souverain.server.api;

import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.backends.Backend;
import eu.souverain.server.backends.Backends;
import eu.souverain.server.catalogue.CatalogueStore;
import eu.souverain.server.documents.Documents;
import eu.souverain.server.limits.Metering;
import eu.souverain.server.privacy.Privacy;
import eu.souverain.server.privacy.Redactions;
import eu.souverain.server.provenance.ProvenanceSigner;
import eu.souverain.server.sovereignty.Residency;
import eu.souverain.server.sovereignty.SovereigntyReport;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.Tenancy;
import eu.souverain.server.vault.KeyFileMasterKey;
import eu.souverain.server.vault.Vault;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * The services a test server serves, as {@code serve} makes them, on the test's own store:
 * residency policies, conversations under a master key file in a data directory, redaction
 * settings and the sovereignty report. Tests that need one of them set up otherwise build
 * {@link ApiServer.Services} themselves with the parts made here.
 */
public final class TestServices {

    private TestServices() {
    }

    public static ApiServer.Services of(ApiServer server, Tenancy tenancy, Database database, Path data, Clock clock,
                                        Backend backend) {
        return of(server, tenancy, database, data, clock, Backends.of(backend, List.of()));
    }

    public static ApiServer.Services of(ApiServer server, Tenancy tenancy, Database database, Path data, Clock clock,
                                        Backends backends) {
        AuditLog audit = tenancy.audit();
        Vault vault = vault(database, data, audit, clock);
        Redactions redactions = new Redactions(database, audit, clock);
        return new ApiServer.Services(backends, new Residency(database, audit, clock),
                Privacy.open(database, vault, audit, clock), redactions,
                report(server, tenancy, database, data, vault, redactions, clock, backends),
                new Metering(database, audit, clock), ProvenanceSigner.open(data.resolve(ProvenanceSigner.FILE)),
                new CatalogueStore(database, audit, vault, clock),
                documents(database, vault, audit, clock, data));
    }

    /** Document libraries in {@code data}, embedded by the server's default embedding model. */
    public static Documents documents(Database database, Vault vault, AuditLog audit, Clock clock, Path data) {
        return new Documents(database, vault, audit, clock, data, Documents.Settings.defaults());
    }

    /** Encryption at rest under a master key file in {@code data}. */
    public static Vault vault(Database database, Path data, AuditLog audit, Clock clock) {
        return new Vault(database, KeyFileMasterKey.open(data.resolve(KeyFileMasterKey.FILE)), audit, clock);
    }

    /** The sovereignty report of {@code server}: no audit sinks, the backends as declared. */
    public static SovereigntyReport report(ApiServer server, Tenancy tenancy, Database database, Path data, Vault vault,
                                           Redactions redactions, Clock clock, Backends backends) {
        return new SovereigntyReport(new SovereigntyReport.Installation(database, data, vault,
                SovereigntyReport.auditKey(data), List.of(),
                backends.all().stream().map(SovereigntyReport.DeclaredBackend::of).toList(), Map.of(),
                "http://127.0.0.1:" + server.port() + "/v1"), tenancy, redactions, clock);
    }
}

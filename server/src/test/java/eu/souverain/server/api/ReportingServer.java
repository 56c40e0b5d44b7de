package eu.souverain.server.api;

import eu.souverain.server.audit.AuditCheckpoints;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.audit.CheckpointSigner;
import eu.souverain.server.backends.BackendLocation;
import eu.souverain.server.backends.Backends;
import eu.souverain.server.backends.LocalBackend;
import eu.souverain.server.catalogue.CatalogueStore;
import eu.souverain.server.limits.Metering;
import eu.souverain.server.privacy.Privacy;
import eu.souverain.server.privacy.Redactions;
import eu.souverain.server.provenance.ProvenanceSigner;
import eu.souverain.server.sovereignty.Residency;
import eu.souverain.server.sovereignty.SovereigntyReport;
import eu.souverain.server.vault.KeyFileMasterKey;
import eu.souverain.server.vault.Vault;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The tenancy fixture's server as {@code serve} sets it up: the bundled model on the local engine,
 * declared in Paris, conversations kept under a key file in {@code data}, signed audit checkpoints,
 * and the sovereignty report.
 */
final class ReportingServer {

    static final BackendLocation PARIS = new BackendLocation("souverain", "Alpha IT", "FR", "paris-1", null,
            List.of("ISO 27001"));

    final Vault vault;
    final AuditCheckpoints checkpoints;

    ReportingServer(TenancyFixture f, Path data) throws IOException {
        AuditLog audit = f.tenancy.audit();
        vault = new Vault(f.database, KeyFileMasterKey.open(data.resolve(KeyFileMasterKey.FILE)), audit, f.clock);
        checkpoints = new AuditCheckpoints(f.database, CheckpointSigner.open(data.resolve(CheckpointSigner.FILE)),
                List.of(), f.clock);
        Backends backends = Backends.of(LocalBackend.load(Map.of("stories260K", TestServer.BUNDLED_MODEL),
                new LocalBackend.Settings(0, 1, 16, 4, 0, null), PARIS), List.of());
        Redactions redactions = new Redactions(f.database, audit, f.clock);
        f.server.serve(new ApiServer.Services(backends, new Residency(f.database, audit, f.clock),
                Privacy.open(f.database, vault, audit, f.clock), redactions,
                new SovereigntyReport(new SovereigntyReport.Installation(f.database, data, vault,
                        SovereigntyReport.auditKey(data), List.of(),
                        backends.all().stream().map(SovereigntyReport.DeclaredBackend::of).toList(),
                        Map.of("stories260K", TestServer.BUNDLED_MODEL), "http://127.0.0.1:" + f.server.port() + "/v1"),
                        f.tenancy, redactions, f.clock),
                new Metering(f.database, audit, f.clock), ProvenanceSigner.open(data.resolve(ProvenanceSigner.FILE)),
                new CatalogueStore(f.database, audit, vault, f.clock),
                TestServices.documents(f.database, vault, audit, f.clock, data)));
    }
}

package eu.souverain.server.privacy;

import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.batch.BatchJobs;
import eu.souverain.server.conversations.Conversations;
import eu.souverain.server.files.StoredFiles;
import eu.souverain.server.store.Database;
import eu.souverain.server.vault.Vault;
import java.time.Clock;

/**
 * What the platform keeps of conversations, files and batch jobs, and how it lets them go: the
 * stores, retention, erasure and export.
 */
public record Privacy(Conversations conversations, StoredFiles files, BatchJobs batchJobs, Retention retention,
                      Erasure erasure, Export export) {

    public static Privacy open(Database database, Vault vault, AuditLog audit, Clock clock) {
        Conversations conversations = new Conversations(database, vault, audit, clock);
        StoredFiles files = new StoredFiles(database, vault, audit, clock);
        BatchJobs batchJobs = new BatchJobs(database, files, vault, audit, clock);
        return new Privacy(conversations, files, batchJobs, new Retention(database, audit, clock),
                new Erasure(database, vault, audit), new Export(conversations, files, batchJobs, audit, clock));
    }
}

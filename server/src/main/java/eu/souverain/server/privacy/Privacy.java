package eu.souverain.server.privacy;

import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.conversations.Conversations;
import eu.souverain.server.store.Database;
import eu.souverain.server.vault.Vault;
import java.time.Clock;

/** What the platform keeps of conversations and how it lets them go: the store, retention, erasure and export. */
public record Privacy(Conversations conversations, Retention retention, Erasure erasure, Export export) {

    public static Privacy open(Database database, Vault vault, AuditLog audit, Clock clock) {
        Conversations conversations = new Conversations(database, vault, audit, clock);
        return new Privacy(conversations, new Retention(database, audit, clock), new Erasure(database, vault, audit),
                new Export(conversations, audit, clock));
    }
}

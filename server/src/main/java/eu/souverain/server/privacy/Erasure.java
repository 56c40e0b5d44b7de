package eu.souverain.server.privacy;

import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.batch.BatchJobs;
import eu.souverain.server.conversations.Conversations;
import eu.souverain.server.files.StoredFiles;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.User;
import eu.souverain.server.tenancy.Users;
import eu.souverain.server.vault.Vault;
import java.util.Optional;

/**
 * Erasure of a user's or an organization's stored data (the right to erasure): its data keys are
 * destroyed (crypto-shredding), its conversations and messages, files and batch jobs deleted, then the master key is
 * rotated and its older versions retired, so that a backup of the database taken before no longer
 * decrypts either (the backup's data keys are wrapped by a master key version that no longer
 * exists). Each step is audited.
 */
public final class Erasure {

    /** What an erasure did. */
    public record Erased(int conversations, int dataKeys) {
    }

    private final Database database;
    private final Vault vault;
    private final AuditLog audit;

    public Erasure(Database database, Vault vault, AuditLog audit) {
        this.database = database;
        this.vault = vault;
        this.audit = audit;
    }

    /** Erases what user {@code userId} of {@code organizationId} stored; audited "privacy.erase.user". */
    public Erased user(String organizationId, String userId, Actor actor) {
        int keys = vault.shredUser(actor.id(), organizationId, userId);
        int conversations = database.inTransaction(h -> {
            int deleted = Conversations.deleteAll(h, organizationId, userId);
            BatchJobs.delete(h, organizationId, userId, null);
            StoredFiles.delete(h, organizationId, userId, null);
            audit.append(h, AuditEvent.of(organizationId, actor.id(), "privacy.erase.user", userId, actor.clientIp(),
                    AuditEvent.Outcome.SUCCESS));
            return deleted;
        });
        retireBackups(actor);
        return new Erased(conversations, keys);
    }

    /** Erases everything {@code organizationId} stored; audited "privacy.erase.organization". */
    public Erased organization(String organizationId, Actor actor) {
        int keys = vault.shredOrganization(actor.id(), organizationId);
        int conversations = database.inTransaction(h -> {
            int deleted = Conversations.deleteAll(h, organizationId, null);
            BatchJobs.delete(h, organizationId, null, null);
            StoredFiles.delete(h, organizationId, null, null);
            h.createUpdate("DELETE FROM retention_policies WHERE organization_id = :org").bind("org", organizationId)
                    .execute();
            audit.append(h, AuditEvent.of(organizationId, actor.id(), "privacy.erase.organization", organizationId,
                    actor.clientIp(), AuditEvent.Outcome.SUCCESS));
            return deleted;
        });
        retireBackups(actor);
        return new Erased(conversations, keys);
    }

    /**
     * The organization of user {@code userId}: from its account, or once that was deleted from what
     * it left behind (its conversations, its data key).
     */
    public Optional<String> organizationOf(String userId) {
        return database.jdbi().withHandle(h -> Users.byId(h, userId).map(User::organizationId)
                .or(() -> Conversations.organizationOfOwner(h, userId))
                .or(() -> Vault.organizationOfUser(h, userId)));
    }

    private void retireBackups(Actor actor) {
        vault.rotateMasterKey(actor.id());
        vault.retireOlderMasterKeys(actor.id());
    }
}

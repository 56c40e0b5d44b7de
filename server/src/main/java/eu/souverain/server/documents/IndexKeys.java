package eu.souverain.server.documents;

import eu.souverain.server.store.Database;
import eu.souverain.server.vault.Vault;
import java.security.SecureRandom;
import java.time.Clock;

/**
 * Each organization's search-index key, in the table {@code document_index_keys}: 32 random bytes,
 * stored only wrapped by the organization's data key. Crypto-shredding the organization destroys
 * that data key, and with it every way to read its index.
 */
final class IndexKeys {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Database database;
    private final Vault vault;
    private final Clock clock;

    IndexKeys(Database database, Vault vault, Clock clock) {
        this.database = database;
        this.vault = vault;
        this.clock = clock;
    }

    /** The index key of {@code organizationId}, made on first use. */
    byte[] of(String organizationId) {
        byte[] wrapped = database.jdbi().withHandle(h -> h.createQuery(
                        "SELECT wrapped_key FROM document_index_keys WHERE organization_id = :org")
                .bind("org", organizationId).mapTo(byte[].class).findOne().orElse(null));
        if (wrapped == null) {
            byte[] key = new byte[32];
            RANDOM.nextBytes(key);
            // Encrypted before the transaction: the vault may make the organization's data key in one of its own.
            byte[] sealed = vault.encrypt(organizationId, null, recordId(organizationId), key);
            database.useTransaction(h -> h.createUpdate("""
                            INSERT INTO document_index_keys (organization_id, wrapped_key, created_at)
                            VALUES (:org, :key, :now) ON CONFLICT (organization_id) DO NOTHING""")
                    .bind("org", organizationId).bind("key", sealed).bind("now", clock.millis()).execute());
            wrapped = database.jdbi().withHandle(h -> h.createQuery(
                            "SELECT wrapped_key FROM document_index_keys WHERE organization_id = :org")
                    .bind("org", organizationId).mapTo(byte[].class).one());
        }
        return vault.decrypt(organizationId, null, recordId(organizationId), wrapped);
    }

    /** Forgets {@code organizationId}'s key. */
    void delete(String organizationId) {
        database.useTransaction(h -> h.createUpdate("DELETE FROM document_index_keys WHERE organization_id = :org")
                .bind("org", organizationId).execute());
    }

    private static String recordId(String organizationId) {
        return "document-index-key/" + organizationId;
    }
}

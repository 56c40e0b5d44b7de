package eu.souverain.server.vault;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.store.Database;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Encryption at rest: envelope encryption of stored records with AES-256-GCM (Google Tink).
 * Each organization has a data key, and each user in it one of their own, so that a user or an
 * organization can be crypto-shredded alone. Data keys are stored only wrapped by the master key,
 * which a key provider holds outside the database.
 *
 * <p>A ciphertext's associated data names its organization, its user (or none) and its record id:
 * copied into another organization, user or record, it no longer decrypts.
 */
public final class Vault {

    /** What protects stored data, in words for the sovereignty report. */
    public static final String ALGORITHM = "AES-256-GCM (Google Tink AEAD), envelope encryption: a data key per"
            + " organization and per user, wrapped by the master key";

    private static final byte FORMAT = 1;
    private static final int CACHE_ENTRIES = 1024;
    /** How long an unwrapped key is trusted: another node's crypto-shredding takes effect here within it. */
    private static final long CACHE_MILLIS = 60_000;
    private static final Logger LOG = LoggerFactory.getLogger(Vault.class);

    static {
        try {
            AeadConfig.register();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Database database;
    private final MasterKey masterKey;
    private final AuditLog audit;
    private final Clock clock;
    private final Map<Scope, Unwrapped> cache = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Scope, Unwrapped> eldest) {
            return size() > CACHE_ENTRIES;
        }
    };

    public Vault(Database database, MasterKey masterKey, AuditLog audit, Clock clock) {
        this.database = database;
        this.masterKey = masterKey;
        this.audit = audit;
        this.clock = clock;
        recordMasterKey(masterKey.currentKeyId());
    }

    /** Whose key encrypts a record: an organization's own, or one of its users'. */
    private record Scope(String organizationId, String userId) {
        Scope {
            if (organizationId == null || organizationId.isBlank()) {
                throw new IllegalArgumentException("an organization id is required");
            }
            if (userId != null && userId.isBlank()) {
                throw new IllegalArgumentException("a user id must not be blank: null means the organization's key");
            }
        }

        String storedUserId() {
            return userId == null ? "" : userId;
        }

        @Override
        public String toString() {
            return userId == null ? "organization " + organizationId : "user " + userId + " of organization " + organizationId;
        }
    }

    private record Unwrapped(Aead aead, long loadedAt) {
    }

    /**
     * {@code plaintext} encrypted under the data key of {@code userId} in {@code organizationId}
     * (the organization's own key when {@code userId} is null), bound to {@code recordId}.
     *
     * <p>The first use of a scope creates its data key in a transaction of its own: call this
     * before opening the transaction that stores the ciphertext (SQLite has one writer at a time).
     */
    public byte[] encrypt(String organizationId, String userId, String recordId, byte[] plaintext) {
        Scope scope = new Scope(organizationId, userId);
        byte[] associatedData = associatedData(scope, recordId);
        try {
            byte[] ciphertext = dataKey(scope, true).encrypt(plaintext, associatedData);
            byte[] framed = new byte[ciphertext.length + 1];
            framed[0] = FORMAT;
            System.arraycopy(ciphertext, 0, framed, 1, ciphertext.length);
            return framed;
        } catch (GeneralSecurityException e) {
            throw new VaultException("cannot encrypt record " + recordId + " of " + scope, e);
        }
    }

    /** The plaintext of a ciphertext that {@link #encrypt} made for the same organization, user and record. */
    public byte[] decrypt(String organizationId, String userId, String recordId, byte[] ciphertext) {
        Scope scope = new Scope(organizationId, userId);
        byte[] associatedData = associatedData(scope, recordId);
        if (ciphertext.length < 2 || ciphertext[0] != FORMAT) {
            throw new VaultException("record " + recordId + " of " + scope + " is not a Souverain ciphertext");
        }
        Aead aead = dataKey(scope, false);
        try {
            return aead.decrypt(Arrays.copyOfRange(ciphertext, 1, ciphertext.length), associatedData);
        } catch (GeneralSecurityException e) {
            throw new VaultException("the ciphertext of record " + recordId + " does not decrypt under the key of " + scope
                    + ": it was altered, or it belongs to another organization, user or record");
        }
    }

    /**
     * Destroys the data key of {@code userId}: every ciphertext made under it becomes unreadable,
     * here and in any copy of the database made from now on. A backup made before still holds the
     * key wrapped; {@link #retireOlderMasterKeys} after a rotation puts it out of reach too.
     */
    public int shredUser(String actor, String organizationId, String userId) {
        if (userId == null) {
            throw new IllegalArgumentException("a user id is required; shredOrganization destroys an organization's keys");
        }
        return shred(actor, new Scope(organizationId, userId), "vault.shred.user");
    }

    /** Destroys every data key of {@code organizationId}, its own and its users'. */
    public int shredOrganization(String actor, String organizationId) {
        return shred(actor, new Scope(organizationId, null), "vault.shred.organization");
    }

    /** Destroys the scope's key; an organization's scope takes its users' keys with it. */
    private int shred(String actor, Scope scope, String action) {
        long now = clock.millis();
        String userId = scope.userId();
        int destroyed = database.inTransaction(handle -> {
            // A key never created still gets its record of destruction, so that none is created later.
            handle.createUpdate("""
                            INSERT INTO data_keys (organization_id, user_id, key_id, created_at, wrapped_at, destroyed_at)
                            VALUES (:org, :user, 0, :now, :now, :now) ON CONFLICT DO NOTHING""")
                    .bind("org", scope.organizationId()).bind("user", scope.storedUserId()).bind("now", now).execute();
            int count = handle.createUpdate("UPDATE data_keys SET wrapped = NULL, master_key_id = NULL, destroyed_at = :now"
                            + " WHERE organization_id = :org AND wrapped IS NOT NULL"
                            + (userId == null ? "" : " AND user_id = :user"))
                    .bind("org", scope.organizationId()).bindMap(userId == null ? Map.of() : Map.of("user", userId))
                    .bind("now", now).execute();
            audit.append(handle, AuditEvent.of(scope.organizationId(), actor, action,
                    userId == null ? scope.organizationId() : userId, null, AuditEvent.Outcome.SUCCESS));
            return count;
        });
        synchronized (cache) {
            cache.keySet().removeIf(cached -> cached.organizationId().equals(scope.organizationId())
                    && (userId == null || userId.equals(cached.userId())));
        }
        eraseTraces();
        return destroyed;
    }

    /**
     * Makes sure a destroyed key's bytes are gone from the database's files, not only from its
     * tables: SQLite zeroes deleted content (secure_delete) and here folds the write-ahead log, which
     * still holds the old pages, back into the file and empties it; PostgreSQL rewrites the table
     * without its dead row versions.
     */
    private void eraseTraces() {
        try {
            database.jdbi().useHandle(handle -> handle.execute(database.dialect() == Database.Dialect.SQLITE
                    ? "PRAGMA wal_checkpoint(TRUNCATE)" : "VACUUM FULL data_keys"));
        } catch (RuntimeException e) {
            LOG.warn("destroyed data keys may linger in the database's files until its next checkpoint or vacuum: {}",
                    e.getMessage());
        }
    }

    /**
     * Rotates the master key, then re-wraps every live data key under the new version. No record is
     * re-encrypted: the data keys themselves do not change. Returns how many were re-wrapped.
     */
    public int rotateMasterKey(String actor) {
        String current = masterKey.rotate();
        recordMasterKey(current);
        record Rewrapped(String org, String user, byte[] before, byte[] after) {
        }
        List<Rewrapped> rewrapped = new ArrayList<>();
        for (StoredKey key : storedKeys()) {
            if (key.wrapped() != null && !current.equals(key.masterKeyId())) {
                rewrapped.add(new Rewrapped(key.organizationId(), key.userId(), key.wrapped(),
                        masterKey.rewrap(key.wrapped())));
            }
        }
        long now = clock.millis();
        return database.inTransaction(handle -> {
            int count = 0;
            for (Rewrapped r : rewrapped) {
                // Unless it was destroyed meanwhile: a destroyed key must stay destroyed.
                count += handle.createUpdate("""
                                UPDATE data_keys SET wrapped = :after, master_key_id = :master, wrapped_at = :now
                                WHERE organization_id = :org AND user_id = :user AND wrapped = :before""")
                        .bind("after", r.after()).bind("master", current).bind("now", now).bind("org", r.org())
                        .bind("user", r.user()).bind("before", r.before()).execute();
            }
            audit.append(handle, AuditEvent.of(null, actor, "vault.rotate", current, null, AuditEvent.Outcome.SUCCESS));
            return count;
        });
    }

    /**
     * Destroys the master key versions older than the current one, once no live data key is
     * wrapped by them. A backup of the database keeps the wrapped keys it was taken with, which the
     * version of its day unwraps, so this is what makes backups taken before a crypto-shredding
     * unreadable (every record in them, not the shredded ones alone): shred, rotate, then retire.
     */
    public void retireOlderMasterKeys(String actor) {
        String current = masterKey.currentKeyId();
        long stale = storedKeys().stream().filter(k -> k.wrapped() != null && !current.equals(k.masterKeyId())).count();
        if (stale > 0) {
            throw new VaultException(stale + " data keys are still wrapped by a master key version older than " + current
                    + ": rotate (which re-wraps them) before retiring the older versions");
        }
        masterKey.retireOlderVersions();
        long now = clock.millis();
        database.useTransaction(handle -> {
            handle.createUpdate("UPDATE master_keys SET retired_at = :now WHERE id <> :current AND retired_at IS NULL")
                    .bind("now", now).bind("current", current).execute();
            audit.append(handle, AuditEvent.of(null, actor, "vault.retire", current, null, AuditEvent.Outcome.SUCCESS));
        });
    }

    /** What protects stored data, without key material: for the sovereignty report. */
    public record KeyReport(String algorithm, String provider, String currentMasterKeyId, List<MasterKeyVersion> masterKeys,
                            List<DataKey> dataKeys) {
    }

    /** A master key version, when it came into use, and when it was destroyed (null while it lives). */
    public record MasterKeyVersion(String id, String provider, Instant createdAt, Instant retiredAt) {
    }

    /** A data key: whose it is, which master key version wraps it, and its times (destroyedAt null while it lives). */
    public record DataKey(String organizationId, String userId, long keyId, String masterKeyId, Instant createdAt,
                          Instant wrappedAt, Instant destroyedAt) {
    }

    public KeyReport report() {
        List<MasterKeyVersion> versions = database.jdbi().withHandle(h -> h.createQuery(
                        "SELECT id, provider, created_at, retired_at FROM master_keys ORDER BY created_at, id")
                .map((rs, ctx) -> {
                    long retiredAt = rs.getLong("retired_at");
                    Instant retired = rs.wasNull() ? null : Instant.ofEpochMilli(retiredAt);
                    return new MasterKeyVersion(rs.getString("id"), rs.getString("provider"),
                            Instant.ofEpochMilli(rs.getLong("created_at")), retired);
                })
                .list());
        List<DataKey> keys = storedKeys().stream().map(k -> new DataKey(k.organizationId(),
                k.userId().isEmpty() ? null : k.userId(), k.keyId(), k.masterKeyId(), Instant.ofEpochMilli(k.createdAt()),
                Instant.ofEpochMilli(k.wrappedAt()), k.destroyedAt() == null ? null : Instant.ofEpochMilli(k.destroyedAt())))
                .toList();
        return new KeyReport(ALGORITHM, masterKey.provider(), masterKey.currentKeyId(), versions, keys);
    }

    private record StoredKey(String organizationId, String userId, long keyId, byte[] wrapped, String masterKeyId,
                             long createdAt, long wrappedAt, Long destroyedAt) {
    }

    private List<StoredKey> storedKeys() {
        return database.jdbi().withHandle(h -> h.createQuery("SELECT * FROM data_keys ORDER BY organization_id, user_id")
                .map((rs, ctx) -> storedKey(rs))
                .list());
    }

    private static StoredKey storedKey(java.sql.ResultSet rs) throws java.sql.SQLException {
        long destroyedAt = rs.getLong("destroyed_at");
        Long destroyed = rs.wasNull() ? null : destroyedAt;
        return new StoredKey(rs.getString("organization_id"), rs.getString("user_id"), rs.getLong("key_id"),
                rs.getBytes("wrapped"), rs.getString("master_key_id"), rs.getLong("created_at"), rs.getLong("wrapped_at"),
                destroyed);
    }

    /** The organization of the data key of {@code userId}, destroyed or not, if it ever had one. */
    public static Optional<String> organizationOfUser(Handle h, String userId) {
        return h.createQuery("SELECT organization_id FROM data_keys WHERE user_id = :id").bind("id", userId)
                .mapTo(String.class).findFirst();
    }

    private Optional<StoredKey> storedKey(Handle handle, Scope scope) {
        return handle.createQuery("SELECT * FROM data_keys WHERE organization_id = :org AND user_id = :user")
                .bind("org", scope.organizationId()).bind("user", scope.storedUserId())
                .map((rs, ctx) -> storedKey(rs)).findOne();
    }

    private void recordMasterKey(String id) {
        database.useTransaction(handle -> handle.createUpdate(
                        "INSERT INTO master_keys (id, provider, created_at) VALUES (:id, :provider, :now) ON CONFLICT DO NOTHING")
                .bind("id", id).bind("provider", masterKey.provider()).bind("now", clock.millis()).execute());
    }

    /** The scope's data key, unwrapped: from the cache, from the database, or (if {@code create}) new. */
    private Aead dataKey(Scope scope, boolean create) {
        long now = clock.millis();
        synchronized (cache) {
            Unwrapped cached = cache.get(scope);
            if (cached != null && now - cached.loadedAt() < CACHE_MILLIS) {
                return cached.aead();
            }
        }
        Optional<StoredKey> stored = database.jdbi().withHandle(h -> storedKey(h, scope));
        if (stored.isEmpty()) {
            if (!create) {
                throw new VaultException(scope + " has no data key: nothing was encrypted for it here");
            }
            stored = Optional.of(createDataKey(scope));
        }
        StoredKey key = stored.get();
        if (key.wrapped() == null) {
            throw new VaultException("the data key of " + scope + " was destroyed (crypto-shredded) at "
                    + Instant.ofEpochMilli(key.destroyedAt()) + ": its ciphertexts can no longer be decrypted");
        }
        Aead aead = unwrap(scope, key.wrapped());
        synchronized (cache) {
            cache.put(scope, new Unwrapped(aead, now));
        }
        return aead;
    }

    private StoredKey createDataKey(Scope scope) {
        if (scope.userId() != null) {
            Scope organizationScope = new Scope(scope.organizationId(), null);
            Optional<StoredKey> organization = database.jdbi().withHandle(h -> storedKey(h, organizationScope));
            if (organization.isPresent() && organization.get().destroyedAt() != null) {
                throw new VaultException("the data keys of organization " + scope.organizationId()
                        + " were destroyed (crypto-shredded): nothing more is encrypted for it");
            }
        }
        byte[] wrapped;
        int keyId;
        try {
            KeysetHandle keyset = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM);
            keyId = keyset.getPrimary().getId();
            wrapped = masterKey.wrap(bound(scope, TinkProtoKeysetFormat.serializeKeyset(keyset, InsecureSecretKeyAccess.get())));
        } catch (GeneralSecurityException e) {
            throw new VaultException("cannot create a data key for " + scope, e);
        }
        long now = clock.millis();
        String masterKeyId = masterKey.keyId(wrapped);
        return database.inTransaction(handle -> {
            // Two first uses at once both insert; the first one's key is the one everybody uses.
            handle.createUpdate("""
                            INSERT INTO data_keys (organization_id, user_id, key_id, wrapped, master_key_id, created_at,
                                wrapped_at)
                            VALUES (:org, :user, :keyId, :wrapped, :master, :now, :now) ON CONFLICT DO NOTHING""")
                    .bind("org", scope.organizationId()).bind("user", scope.storedUserId())
                    .bind("keyId", Integer.toUnsignedLong(keyId)).bind("wrapped", wrapped).bind("master", masterKeyId)
                    .bind("now", now).execute();
            return storedKey(handle, scope).orElseThrow();
        });
    }

    private Aead unwrap(Scope scope, byte[] wrapped) {
        byte[] unwrapped = masterKey.unwrap(wrapped);
        byte[] label = label(scope);
        if (unwrapped.length < label.length || !Arrays.equals(unwrapped, 0, label.length, label, 0, label.length)) {
            throw new VaultException("the data key stored for " + scope + " was made for another scope:"
                    + " the data_keys table was altered");
        }
        try {
            return TinkProtoKeysetFormat.parseKeyset(Arrays.copyOfRange(unwrapped, label.length, unwrapped.length),
                    InsecureSecretKeyAccess.get()).getPrimitive(RegistryConfiguration.get(), Aead.class);
        } catch (GeneralSecurityException e) {
            throw new VaultException("the data key stored for " + scope + " is not an AES-GCM keyset", e);
        } finally {
            Arrays.fill(unwrapped, (byte) 0);
        }
    }

    /** The keyset prefixed with its scope, so that a wrapped key moved to another scope's row is refused. */
    private static byte[] bound(Scope scope, byte[] keyset) {
        byte[] label = label(scope);
        byte[] bound = Arrays.copyOf(label, label.length + keyset.length);
        System.arraycopy(keyset, 0, bound, label.length, keyset.length);
        Arrays.fill(keyset, (byte) 0);
        return bound;
    }

    private static byte[] label(Scope scope) {
        return lengthPrefixed("souverain.data-key.v1", scope.organizationId(), scope.userId());
    }

    private static byte[] associatedData(Scope scope, String recordId) {
        if (recordId == null || recordId.isEmpty()) {
            throw new IllegalArgumentException("a record id is required: it binds the ciphertext to its record");
        }
        return lengthPrefixed("souverain.record.v1", scope.organizationId(), scope.userId(), recordId);
    }

    /** Each field as a presence byte, a length and its UTF-8 bytes: no two field lists encode alike. */
    private static byte[] lengthPrefixed(String... fields) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String field : fields) {
            if (field == null) {
                out.write(0);
            } else {
                byte[] bytes = field.getBytes(StandardCharsets.UTF_8);
                out.write(1);
                out.writeBytes(ByteBuffer.allocate(4).putInt(bytes.length).array());
                out.writeBytes(bytes);
            }
        }
        return out.toByteArray();
    }
}

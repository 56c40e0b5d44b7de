package eu.souverain.server.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.store.Database;
import eu.souverain.server.store.TestDatabases;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class VaultTest {

    @TempDir
    Path dir;

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private Vault vault(Database db) {
        return new Vault(db, KeyFileMasterKey.open(dir.resolve(KeyFileMasterKey.FILE)), new AuditLog(db, Clock.systemUTC()),
                Clock.systemUTC());
    }

    private static Map<String, byte[]> wrappedKeys(Database db) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT organization_id, user_id, wrapped FROM data_keys")
                .map((rs, ctx) -> Map.entry(rs.getString("organization_id") + "/" + rs.getString("user_id"),
                        rs.getBytes("wrapped") == null ? new byte[0] : rs.getBytes("wrapped")))
                .list().stream().collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void ciphertextDecryptsOnlyForItsOrganizationUserAndRecord(TestDatabases kind) {
        try (Database db = kind.open(dir)) {
            Vault vault = vault(db);
            byte[] org = vault.encrypt("org_a", null, "msg_1", utf8("the quarterly figures"));
            byte[] user = vault.encrypt("org_a", "user_1", "msg_2", utf8("my own notes"));
            vault.encrypt("org_b", null, "msg_1", utf8("another organization"));
            assertThat(text(org)).doesNotContain("quarterly");
            assertThat(text(vault.decrypt("org_a", null, "msg_1", org))).isEqualTo("the quarterly figures");
            assertThat(text(vault.decrypt("org_a", "user_1", "msg_2", user))).isEqualTo("my own notes");
            // Same plaintext twice: different ciphertexts (random nonces).
            assertThat(vault.encrypt("org_a", null, "msg_1", utf8("the quarterly figures"))).isNotEqualTo(org);

            assertThatThrownBy(() -> vault.decrypt("org_b", null, "msg_1", org)).isInstanceOf(VaultException.class)
                    .hasMessageContaining("does not decrypt").hasMessageContaining("organization org_b");
            assertThatThrownBy(() -> vault.decrypt("org_a", null, "msg_2", org)).isInstanceOf(VaultException.class)
                    .hasMessageContaining("record msg_2");
            assertThatThrownBy(() -> vault.decrypt("org_a", "user_1", "msg_1", org)).isInstanceOf(VaultException.class);
            assertThatThrownBy(() -> vault.decrypt("org_a", null, "msg_2", user)).isInstanceOf(VaultException.class);
            assertThatThrownBy(() -> vault.decrypt("org_c", null, "msg_1", org)).isInstanceOf(VaultException.class)
                    .hasMessageContaining("no data key");
            byte[] altered = org.clone();
            altered[altered.length / 2] ^= 1;
            assertThatThrownBy(() -> vault.decrypt("org_a", null, "msg_1", altered)).isInstanceOf(VaultException.class)
                    .hasMessageContaining("altered");

            // A restarted server (empty cache, key file read again) reads what it wrote.
            assertThat(text(vault(db).decrypt("org_a", "user_1", "msg_2", user))).isEqualTo("my own notes");
            assertThat(wrappedKeys(db)).hasSize(3);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aWrappedKeyMovedToAnotherScopesRowIsRefused(TestDatabases kind) {
        try (Database db = kind.open(dir)) {
            Vault vault = vault(db);
            byte[] mine = vault.encrypt("org_a", "user_1", "r", utf8("mine"));
            vault.encrypt("org_a", "user_2", "r", utf8("theirs"));
            byte[] theirs = wrappedKeys(db).get("org_a/user_2");
            db.useTransaction(h -> h.createUpdate("UPDATE data_keys SET wrapped = :w WHERE user_id = 'user_1'")
                    .bind("w", theirs).execute());
            assertThatThrownBy(() -> vault(db).decrypt("org_a", "user_1", "r", mine)).isInstanceOf(VaultException.class)
                    .hasMessageContaining("made for another scope");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void shreddingAUserDestroysOnlyTheirKeyAndIsAudited(TestDatabases kind) {
        try (Database db = kind.open(dir)) {
            Vault vault = vault(db);
            byte[] first = vault.encrypt("org_a", "user_1", "r1", utf8("to be forgotten"));
            byte[] second = vault.encrypt("org_a", "user_2", "r2", utf8("kept"));
            byte[] shared = vault.encrypt("org_a", null, "r3", utf8("kept too"));
            assertThat(vault.shredUser("user_admin", "org_a", "user_1")).isEqualTo(1);

            for (Vault reader : List.of(vault, vault(db))) {
                assertThatThrownBy(() -> reader.decrypt("org_a", "user_1", "r1", first)).isInstanceOf(VaultException.class)
                        .hasMessageContaining("destroyed (crypto-shredded)");
                assertThat(text(reader.decrypt("org_a", "user_2", "r2", second))).isEqualTo("kept");
                assertThat(text(reader.decrypt("org_a", null, "r3", shared))).isEqualTo("kept too");
            }
            assertThatThrownBy(() -> vault.encrypt("org_a", "user_1", "r4", utf8("new"))).isInstanceOf(VaultException.class)
                    .hasMessageContaining("destroyed");
            assertThat(wrappedKeys(db).get("org_a/user_1")).isEmpty();
            // A user who never had a key cannot get one after being shredded.
            vault.shredUser("user_admin", "org_a", "user_9");
            assertThatThrownBy(() -> vault.encrypt("org_a", "user_9", "r", utf8("x"))).isInstanceOf(VaultException.class);
            assertThat(actions(db)).containsExactly("vault.shred.user", "vault.shred.user");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void shreddingAnOrganizationDestroysItsKeysAndItsUsersKeys(TestDatabases kind) {
        try (Database db = kind.open(dir)) {
            Vault vault = vault(db);
            byte[] own = vault.encrypt("org_a", null, "r1", utf8("a"));
            byte[] user = vault.encrypt("org_a", "user_1", "r2", utf8("b"));
            byte[] other = vault.encrypt("org_b", "user_3", "r3", utf8("c"));
            assertThat(vault.shredOrganization("user_owner", "org_a")).isEqualTo(2);
            assertThatThrownBy(() -> vault.decrypt("org_a", null, "r1", own)).hasMessageContaining("destroyed");
            assertThatThrownBy(() -> vault.decrypt("org_a", "user_1", "r2", user)).hasMessageContaining("destroyed");
            assertThatThrownBy(() -> vault.encrypt("org_a", "user_2", "r", utf8("x"))).hasMessageContaining("destroyed");
            assertThat(text(vault.decrypt("org_b", "user_3", "r3", other))).isEqualTo("c");
            assertThat(actions(db)).containsExactly("vault.shred.organization");
        }
    }

    /**
     * The database file copied after shredding (a backup) holds no trace of the destroyed key, so
     * even with the master key its ciphertexts stay unreadable; the other users' still decrypt.
     */
    @Test
    void aCopyOfTheSqliteFileAfterShreddingCannotDecryptTheShreddedUser() throws Exception {
        Path live = dir.resolve("live");
        byte[] forgotten;
        byte[] kept;
        byte[] destroyedKey;
        try (Database db = Database.sqlite(live.resolve(Database.SQLITE_FILE))) {
            Vault vault = vault(db);
            forgotten = vault.encrypt("org_a", "user_1", "r1", utf8("to be forgotten"));
            kept = vault.encrypt("org_a", "user_2", "r2", utf8("kept"));
            destroyedKey = wrappedKeys(db).get("org_a/user_1");
            vault.shredUser("user_admin", "org_a", "user_1");
            Path backup = Files.createDirectories(dir.resolve("backup"));
            try (var files = Files.list(live)) {
                for (Path file : files.toList()) {
                    Files.copy(file, backup.resolve(file.getFileName()));
                }
            }
        }
        String needle = HexFormat.of().formatHex(destroyedKey, 8, 40);
        try (var files = Files.list(dir.resolve("backup"))) {
            for (Path file : files.toList()) {
                assertThat(HexFormat.of().formatHex(Files.readAllBytes(file))).as(file.toString()).doesNotContain(needle);
            }
        }
        try (Database copy = Database.sqlite(dir.resolve("backup").resolve(Database.SQLITE_FILE))) {
            Vault vault = vault(copy);
            assertThatThrownBy(() -> vault.decrypt("org_a", "user_1", "r1", forgotten)).isInstanceOf(VaultException.class)
                    .hasMessageContaining("destroyed");
            assertThat(text(vault.decrypt("org_a", "user_2", "r2", kept))).isEqualTo("kept");
        }
    }

    /**
     * A backup taken before the shredding still holds the wrapped key; retiring the master key
     * version that wrapped it is what makes that backup unreadable (all of it, by design).
     */
    @Test
    void aBackupTakenBeforeShreddingIsUnreadableOnceTheOlderMasterKeysAreRetired() throws Exception {
        Path live = dir.resolve("live");
        Path backup = Files.createDirectories(dir.resolve("backup"));
        byte[] forgotten;
        byte[] kept;
        try (Database db = Database.sqlite(live.resolve(Database.SQLITE_FILE))) {
            Vault vault = vault(db);
            forgotten = vault.encrypt("org_a", "user_1", "r1", utf8("to be forgotten"));
            kept = vault.encrypt("org_a", "user_2", "r2", utf8("kept"));
            db.jdbi().useHandle(h -> h.execute("PRAGMA wal_checkpoint(TRUNCATE)"));
            try (var files = Files.list(live)) {
                for (Path file : files.toList()) {
                    Files.copy(file, backup.resolve(file.getFileName()));
                }
            }
            vault.shredUser("user_admin", "org_a", "user_1");
            try (Database copy = Database.sqlite(backup.resolve(Database.SQLITE_FILE))) {
                assertThat(text(vault(copy).decrypt("org_a", "user_1", "r1", forgotten)))
                        .as("before retiring, the master key still opens the backup's wrapped key")
                        .isEqualTo("to be forgotten");
            }

            // Retiring is refused while a live data key still depends on an older version.
            KeyFileMasterKey.open(dir.resolve(KeyFileMasterKey.FILE)).rotate();
            assertThatThrownBy(() -> vault(db).retireOlderMasterKeys("user_owner")).isInstanceOf(VaultException.class)
                    .hasMessageContaining("1 data keys are still wrapped").hasMessageContaining("rotate");

            vault.rotateMasterKey("user_owner");
            vault.retireOlderMasterKeys("user_owner");
            assertThat(text(vault(db).decrypt("org_a", "user_2", "r2", kept))).isEqualTo("kept");
            assertThat(vault(db).report().masterKeys()).filteredOn(m -> m.retiredAt() == null).hasSize(1);
            assertThat(actions(db)).endsWith("vault.rotate", "vault.retire");
        }
        try (Database copy = Database.sqlite(backup.resolve(Database.SQLITE_FILE))) {
            Vault vault = vault(copy);
            assertThatThrownBy(() -> vault.decrypt("org_a", "user_1", "r1", forgotten)).isInstanceOf(VaultException.class)
                    .hasMessageContaining("not in the file");
            assertThatThrownBy(() -> vault.decrypt("org_a", "user_2", "r2", kept)).isInstanceOf(VaultException.class);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void rotatingTheMasterKeyRewrapsEveryDataKeyAndOldRowsStillDecrypt(TestDatabases kind) {
        try (Database db = kind.open(dir)) {
            Vault vault = vault(db);
            byte[] a = vault.encrypt("org_a", null, "r1", utf8("alpha"));
            byte[] b = vault.encrypt("org_a", "user_1", "r2", utf8("beta"));
            byte[] c = vault.encrypt("org_b", null, "r3", utf8("gamma"));
            vault.shredUser("user_admin", "org_b", "user_gone");
            Map<String, byte[]> before = wrappedKeys(db);
            String oldMaster = vault.report().currentMasterKeyId();

            assertThat(vault.rotateMasterKey("user_owner")).isEqualTo(3);

            Map<String, byte[]> after = wrappedKeys(db);
            for (String scope : List.of("org_a/", "org_a/user_1", "org_b/")) {
                assertThat(after.get(scope)).as(scope).isNotEqualTo(before.get(scope)).isNotEmpty();
            }
            assertThat(after.get("org_b/user_gone")).isEmpty();
            Vault.KeyReport report = vault(db).report();
            assertThat(report.currentMasterKeyId()).isNotEqualTo(oldMaster);
            assertThat(report.masterKeys()).extracting(Vault.MasterKeyVersion::id)
                    .containsExactlyInAnyOrder(oldMaster, report.currentMasterKeyId());
            assertThat(report.dataKeys()).filteredOn(k -> k.destroyedAt() == null)
                    .allSatisfy(k -> assertThat(k.masterKeyId()).isEqualTo(report.currentMasterKeyId()));
            assertThat(report.dataKeys()).filteredOn(k -> k.destroyedAt() != null).extracting(Vault.DataKey::userId)
                    .containsExactly("user_gone");
            assertThat(report.algorithm()).contains("AES-256-GCM");
            assertThat(report.provider()).contains(KeyFileMasterKey.FILE);

            Vault restarted = vault(db);
            assertThat(text(restarted.decrypt("org_a", null, "r1", a))).isEqualTo("alpha");
            assertThat(text(restarted.decrypt("org_a", "user_1", "r2", b))).isEqualTo("beta");
            assertThat(text(restarted.decrypt("org_b", null, "r3", c))).isEqualTo("gamma");
            assertThat(actions(db)).endsWith("vault.rotate");
        }
    }

    @Test
    void manyThreadsCreatingTheSameKeyAtOnceShareOne() throws Exception {
        try (Database db = TestDatabases.SQLITE.open(dir);
             var pool = java.util.concurrent.Executors.newFixedThreadPool(8)) {
            Vault vault = vault(db);
            List<java.util.concurrent.Future<byte[]>> made = new java.util.ArrayList<>();
            for (int i = 0; i < 16; i++) {
                made.add(pool.submit(() -> vault.encrypt("org_a", "user_1", "r", utf8("same"))));
            }
            Vault restarted = vault(db);
            for (var f : made) {
                assertThat(text(restarted.decrypt("org_a", "user_1", "r", f.get()))).isEqualTo("same");
            }
            assertThat(wrappedKeys(db)).hasSize(1);
        }
    }

    private static List<String> actions(Database db) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT action FROM audit_entries ORDER BY seq")
                .mapTo(String.class).list());
    }
}

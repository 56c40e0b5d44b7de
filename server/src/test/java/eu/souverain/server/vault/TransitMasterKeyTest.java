package eu.souverain.server.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.store.Database;
import eu.souverain.server.store.TestDatabases;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Transit provider against a stand-in of Vault's HTTP API on loopback. */
class TransitMasterKeyTest {

    @TempDir
    Path dir;

    @Test
    void wrapsUnwrapsRotatesAndRewrapsThroughTransit() throws Exception {
        try (TransitStandIn vault = new TransitStandIn("transit")) {
            TransitMasterKey key = TransitMasterKey.fromUrl(vault.keyUrl("souverain"), vault.token);
            byte[] wrapped = key.wrap(new byte[] {1, 2, 3});
            assertThat(new String(wrapped, StandardCharsets.UTF_8)).startsWith("vault:v1:");
            assertThat(key.keyId(wrapped)).isEqualTo("transit:souverain:v1").isEqualTo(key.currentKeyId());
            assertThat(key.unwrap(wrapped)).containsExactly(1, 2, 3);

            assertThat(key.rotate()).isEqualTo("transit:souverain:v2");
            byte[] rewrapped = key.rewrap(wrapped);
            assertThat(new String(rewrapped, StandardCharsets.UTF_8)).startsWith("vault:v2:");
            assertThat(key.unwrap(rewrapped)).containsExactly(1, 2, 3);
            assertThat(key.unwrap(wrapped)).containsExactly(1, 2, 3);
            assertThat(key.provider()).contains("souverain").contains(vault.address());

            key.retireOlderVersions();
            assertThat(key.unwrap(rewrapped)).containsExactly(1, 2, 3);
            assertThatThrownBy(() -> key.unwrap(wrapped)).isInstanceOf(VaultException.class).hasMessageContaining("400");
            assertThat(key.currentKeyId()).isEqualTo("transit:souverain:v2");
        }
    }

    @Test
    void refusalsNameVaultAndTheReasonNeverTheToken() throws Exception {
        try (TransitStandIn vault = new TransitStandIn("transit")) {
            TransitMasterKey wrongToken = TransitMasterKey.fromUrl(vault.keyUrl("souverain"), "hvs.not-the-token");
            assertThatThrownBy(() -> wrongToken.wrap(new byte[] {1})).isInstanceOf(VaultException.class)
                    .hasMessageContaining("403").hasMessageContaining("permission denied")
                    .hasMessageNotContaining("hvs.not-the-token");
            TransitMasterKey key = TransitMasterKey.fromUrl(vault.keyUrl("souverain"), vault.token);
            byte[] wrapped = key.wrap(new byte[] {1});
            wrapped[wrapped.length - 3] ^= 1;
            assertThatThrownBy(() -> key.unwrap(wrapped)).isInstanceOf(VaultException.class).hasMessageContaining("400");
        }
        assertThatThrownBy(() -> TransitMasterKey.fromUrl("http://127.0.0.1:8200/transit/souverain", "t"))
                .hasMessageContaining("MOUNT/keys/NAME");
        assertThatThrownBy(() -> TransitMasterKey.fromUrl("http://127.0.0.1:8200/transit/keys/k", null))
                .hasMessageContaining("VAULT_TOKEN");
    }

    @Test
    void vaultWithTransitKeepsRowsReadableAcrossRotationAndShreds() throws Exception {
        try (TransitStandIn transit = new TransitStandIn("secret-engines/transit");
             Database db = TestDatabases.SQLITE.open(dir)) {
            TransitMasterKey key = TransitMasterKey.fromUrl(transit.keyUrl("souverain"), transit.token);
            AuditLog audit = new AuditLog(db, Clock.systemUTC());
            Vault vault = new Vault(db, key, audit, Clock.systemUTC());
            byte[] a = vault.encrypt("org_a", "user_1", "r1", "alpha".getBytes(StandardCharsets.UTF_8));
            byte[] b = vault.encrypt("org_a", "user_2", "r2", "beta".getBytes(StandardCharsets.UTF_8));
            assertThat(vault.rotateMasterKey("user_owner")).isEqualTo(2);
            assertThat(transit.versions("souverain")).isEqualTo(2);
            List<String> wrapped = db.jdbi().withHandle(h -> h.createQuery("SELECT wrapped FROM data_keys")
                    .map((rs, ctx) -> new String(rs.getBytes(1), StandardCharsets.UTF_8)).list());
            assertThat(wrapped).hasSize(2).allSatisfy(w -> assertThat(w).startsWith("vault:v2:"));

            Vault restarted = new Vault(db, key, audit, Clock.systemUTC());
            assertThat(restarted.decrypt("org_a", "user_1", "r1", a)).asString(StandardCharsets.UTF_8).isEqualTo("alpha");
            restarted.shredUser("user_owner", "org_a", "user_1");
            assertThatThrownBy(() -> restarted.decrypt("org_a", "user_1", "r1", a)).hasMessageContaining("destroyed");
            assertThat(restarted.decrypt("org_a", "user_2", "r2", b)).asString(StandardCharsets.UTF_8).isEqualTo("beta");
            assertThat(restarted.report().currentMasterKeyId()).isEqualTo("transit:souverain:v2");
        }
    }
}

package eu.souverain.server.cli;

import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.store.Database;
import eu.souverain.server.vault.KeyFileMasterKey;
import eu.souverain.server.vault.MasterKey;
import eu.souverain.server.vault.TransitMasterKey;
import eu.souverain.server.vault.Vault;
import java.nio.file.Path;
import java.time.Clock;
import picocli.CommandLine.Option;

/** Which key provider holds the master key that wraps the data keys. */
final class VaultOptions {

    @Option(names = "--master-key", paramLabel = "file:PATH|URL",
            description = "The master key: file:PATH (a 0600 Tink keyset, created if absent; default: "
                    + KeyFileMasterKey.FILE + " in the data directory) or a Vault / OpenBao Transit key"
                    + " https://HOST:8200/MOUNT/keys/NAME, with its token in VAULT_TOKEN.")
    String masterKey;

    MasterKey masterKey(Path dataDir) {
        if (masterKey == null) {
            return KeyFileMasterKey.open(dataDir.resolve(KeyFileMasterKey.FILE));
        }
        if (masterKey.startsWith("file:")) {
            return KeyFileMasterKey.open(Path.of(masterKey.substring("file:".length())));
        }
        if (masterKey.startsWith("https://") || masterKey.startsWith("http://")) {
            return TransitMasterKey.fromUrl(masterKey, System.getenv("VAULT_TOKEN"));
        }
        throw new IllegalArgumentException("--master-key must be file:PATH or a Transit key URL"
                + " https://HOST:8200/MOUNT/keys/NAME, not '" + masterKey + "'");
    }

    Vault open(Database database, Path dataDir) {
        return new Vault(database, masterKey(dataDir), new AuditLog(database, Clock.systemUTC()), Clock.systemUTC());
    }
}

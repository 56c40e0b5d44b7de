package eu.souverain.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import eu.souverain.server.store.Database;
import eu.souverain.server.vault.Vault;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/** Encryption at rest from the command line: what protects the data, and rotating the master key. */
@Command(name = "vault", mixinStandardHelpOptions = true,
        description = "Show or rotate the keys that encrypt stored data.",
        subcommands = {VaultCommand.Status.class, VaultCommand.Rotate.class})
final class VaultCommand implements Runnable {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Print the algorithm, the key provider, the master key versions and every data key's"
                    + " times as JSON (never key material).")
    static final class Status implements Callable<Integer> {

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Mixin
        StoreOptions store;

        @Mixin
        VaultOptions vault;

        @Override
        public Integer call() throws IOException {
            try (Database database = store.open()) {
                Vault.KeyReport report = vault.open(database, store.data).report();
                ObjectMapper json = new ObjectMapper();
                ObjectNode root = json.createObjectNode().put("algorithm", report.algorithm())
                        .put("provider", report.provider()).put("current_master_key", report.currentMasterKeyId());
                var masters = root.putArray("master_keys");
                for (Vault.MasterKeyVersion m : report.masterKeys()) {
                    masters.addObject().put("id", m.id()).put("provider", m.provider())
                            .put("created_at", m.createdAt().toString())
                            .put("retired_at", m.retiredAt() == null ? null : m.retiredAt().toString());
                }
                var keys = root.putArray("data_keys");
                for (Vault.DataKey k : report.dataKeys()) {
                    keys.addObject().put("organization_id", k.organizationId()).put("user_id", k.userId())
                            .put("key_id", k.keyId()).put("master_key_id", k.masterKeyId())
                            .put("created_at", k.createdAt().toString()).put("wrapped_at", k.wrappedAt().toString())
                            .put("destroyed_at", k.destroyedAt() == null ? null : k.destroyedAt().toString());
                }
                spec.commandLine().getOut().println(json.writerWithDefaultPrettyPrinter().writeValueAsString(root));
            }
            return 0;
        }
    }

    @Command(name = "rotate", mixinStandardHelpOptions = true,
            description = "Rotate the master key and re-wrap every data key under the new version (no record is"
                    + " re-encrypted).")
    static final class Rotate implements Callable<Integer> {

        @picocli.CommandLine.Option(names = "--retire-older",
                description = "Then destroy the older master key versions: backups of the database taken before can"
                        + " no longer be decrypted at all (this is what makes a crypto-shredding reach them).")
        boolean retireOlder;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Mixin
        StoreOptions store;

        @Mixin
        VaultOptions vault;

        @Override
        public Integer call() throws IOException {
            try (Database database = store.open()) {
                Vault opened = vault.open(database, store.data);
                String actor = "cli:" + System.getProperty("user.name");
                int rewrapped = opened.rotateMasterKey(actor);
                spec.commandLine().getOut().println("master key rotated to " + opened.report().currentMasterKeyId()
                        + "; " + rewrapped + " data keys re-wrapped");
                if (retireOlder) {
                    opened.retireOlderMasterKeys(actor);
                    spec.commandLine().getOut().println("older master key versions destroyed");
                }
            }
            return 0;
        }
    }
}

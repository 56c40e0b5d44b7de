package eu.souverain.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.documents.Documents;
import eu.souverain.server.privacy.Erasure;
import eu.souverain.server.privacy.Privacy;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.Tenancy;
import eu.souverain.server.tenancy.TenancyException;
import eu.souverain.server.vault.Vault;
import java.io.IOException;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code souverain erase} and {@code souverain export}: on the same store as {@code serve}, whether or not it runs. */
final class PrivacyCommands {

    private PrivacyCommands() {}

    /** Exactly one of a user or an organization. */
    static final class Whose {
        @Option(names = "--user", paramLabel = "ID", required = true, description = "A user's id.")
        String user;

        @Option(names = "--org", paramLabel = "ORG", required = true, description = "An organization's id or name.")
        String organization;
    }

    interface Work<T> {
        T run(Privacy privacy, Documents documents, String organizationId, String userId) throws IOException;
    }

    /** Opens the store and the vault, finds whose data is meant, and runs {@code work} on it. */
    static <T> T withPrivacy(StoreOptions store, VaultOptions vault, Whose whose, Work<T> work) throws IOException {
        try (Database database = store.open()) {
            AuditLog audit = new AuditLog(database, Clock.systemUTC());
            Vault keys = vault.open(database, store.data);
            Privacy privacy = Privacy.open(database, keys, audit, Clock.systemUTC());
            Tenancy tenancy = new Tenancy(database, audit, Clock.systemUTC());
            try (Documents documents = new Documents(database, keys, audit, Clock.systemUTC(), store.data,
                    Documents.Settings.defaults())) {
                if (whose.user != null) {
                    String organization = privacy.erasure().organizationOf(whose.user)
                            .orElseThrow(() -> TenancyException.notFound("user", whose.user));
                    return work.run(privacy, documents, organization, whose.user);
                }
                return work.run(privacy, documents, tenancy.organizations().find(whose.organization).id(), null);
            }
        }
    }

    @Command(name = "erase", mixinStandardHelpOptions = true,
            description = "Erase a user's or an organization's stored conversations: destroy its data keys"
                    + " (crypto-shredding), delete its rows, then rotate the master key and retire the older versions"
                    + " so that backups taken before cannot be decrypted either. Audited.")
    static final class Erase implements Callable<Integer> {

        @ArgGroup(multiplicity = "1")
        Whose whose;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Mixin
        StoreOptions store;

        @Mixin
        VaultOptions vault;

        @Override
        public Integer call() throws IOException {
            record Both(Erasure.Erased erased, int libraries) {
            }
            Both both = withPrivacy(store, vault, whose, (privacy, documents, org, user) -> user == null
                    ? new Both(privacy.erasure().organization(org, Actor.commandLine()), documents.erase(org))
                    : new Both(privacy.erasure().user(org, user, Actor.commandLine()), documents.eraseOwner(org, user)));
            Erasure.Erased erased = both.erased();
            spec.commandLine().getOut().println("erased " + (whose.user != null ? "user " + whose.user
                    : "organization " + whose.organization) + ": " + erased.conversations() + " conversations deleted, "
                    + both.libraries() + " document libraries deleted, "
                    + erased.dataKeys() + " data keys destroyed; older master key versions retired");
            return 0;
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Print a user's or an organization's stored conversations, decrypted, as JSON (data"
                    + " portability). Audited.")
    static final class Export implements Callable<Integer> {

        @ArgGroup(multiplicity = "1")
        Whose whose;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Mixin
        StoreOptions store;

        @Mixin
        VaultOptions vault;

        @Override
        public Integer call() throws IOException {
            Map<String, Object> document = withPrivacy(store, vault, whose, (privacy, documents, org, user) -> {
                Map<String, Object> whole = new java.util.LinkedHashMap<>(privacy.export().of(org, user,
                        Actor.commandLine()));
                whole.put("libraries", documents.export(org, user));
                return whole;
            });
            spec.commandLine().getOut().println(new ObjectMapper().writerWithDefaultPrettyPrinter()
                    .writeValueAsString(document));
            return 0;
        }
    }
}

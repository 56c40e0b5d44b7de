package eu.souverain.server.cli;

import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.ApiKey;
import eu.souverain.server.tenancy.ApiKeys;
import eu.souverain.server.tenancy.Durations;
import eu.souverain.server.tenancy.Scope;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code souverain keys create|revoke}: on the same store as {@code serve}, whether or not it runs. */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "Manage API keys.",
        subcommands = {KeysCommand.Create.class, KeysCommand.Revoke.class})
final class KeysCommand implements Runnable {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create an API key; prints the key, and nothing else, on stdout (shown this once).")
    static final class Create implements Callable<Integer> {

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Mixin
        StoreOptions store;

        @Option(names = "--org", paramLabel = "ORG",
                description = "The organization: its id or name (default: the only one, when there is one).")
        String organization;

        @Option(names = "--scopes", paramLabel = "SCOPES",
                description = "Comma-separated: chat, embeddings, admin, audit (default: ${DEFAULT-VALUE}).")
        String scopes = "chat,embeddings";

        @Option(names = "--expires", paramLabel = "DURATION", description = "Lifetime, e.g. 30d, 12h, 90m (default: never).")
        String expires;

        @Option(names = "--name", paramLabel = "NAME", description = "A label to tell the key apart in lists.")
        String name;

        @Override
        public Integer call() throws Exception {
            Duration lifetime = expires == null ? null : Durations.parse("--expires", expires);
            ApiKeys.Created created = StoreCommands.withTenancy(store, tenancy -> tenancy.keys().create(
                    OrganizationChoice.resolve(tenancy, organization).id(), name, Scope.parseList(scopes), lifetime,
                    Actor.commandLine()));
            spec.commandLine().getOut().println(created.secret());
            spec.commandLine().getErr().println("souverain: created API key " + created.key().id() + " with scopes "
                    + Scope.join(created.key().scopes()) + (created.key().expiresAt() == null ? ""
                    : ", expiring at " + created.key().expiresAt()) + "; the key above is shown this once");
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Revoke an API key: it fails from its next request on.")
    static final class Revoke implements Callable<Integer> {

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Mixin
        StoreOptions store;

        @Parameters(paramLabel = "KEY_ID", description = "The key's id (key_...), as listed; not the secret.")
        String id;

        @Override
        public Integer call() throws Exception {
            if (id.startsWith(ApiKeys.PREFIX)) {
                // Never echo a secret into a terminal's scrollback or a log.
                throw new IllegalArgumentException("give the key's id (key_...), not the key itself");
            }
            ApiKey key = StoreCommands.withTenancy(store, tenancy -> tenancy.keys().revoke(id, Actor.commandLine()));
            spec.commandLine().getErr().println("souverain: revoked API key " + key.id() + " of " + key.organizationId());
            return 0;
        }
    }
}

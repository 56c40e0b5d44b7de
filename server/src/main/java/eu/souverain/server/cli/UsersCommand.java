package eu.souverain.server.cli;

import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.Role;
import eu.souverain.server.tenancy.Users;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code souverain users create}: on the same store as {@code serve}, whether or not it runs. */
@Command(name = "users", mixinStandardHelpOptions = true, description = "Manage users.",
        subcommands = UsersCommand.Create.class)
final class UsersCommand implements Runnable {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a user; prints its one-time password on stdout, unless --password-stdin gives one.")
    static final class Create implements Callable<Integer> {

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Mixin
        StoreOptions store;

        @Option(names = "--org", paramLabel = "ORG",
                description = "The organization: its id or name (default: the only one, when there is one).")
        String organization;

        @Option(names = "--email", required = true, paramLabel = "EMAIL", description = "The address the user signs in with.")
        String email;

        @Option(names = "--role", required = true, paramLabel = "ROLE", description = "owner, admin, member or auditor.")
        String role;

        @Option(names = "--password-stdin", description = "Read the password from the first line of stdin instead of making one.")
        boolean passwordStdin;

        @Override
        public Integer call() throws Exception {
            Role chosen = Role.parse(role);
            String password = passwordStdin ? firstLineOfStdin() : null;
            Users.Created created = StoreCommands.withTenancy(store, tenancy -> tenancy.users().create(
                    OrganizationChoice.resolve(tenancy, organization).id(), email, chosen, password, Actor.commandLine(), true));
            if (created.oneTimePassword() != null) {
                spec.commandLine().getOut().println(created.oneTimePassword());
            }
            spec.commandLine().getErr().println("souverain: created " + created.user().role().wireName() + " "
                    + created.user().email() + " (" + created.user().id() + ") in " + created.user().organizationId()
                    + (created.oneTimePassword() != null ? "; the password above is shown this once" : ""));
            return 0;
        }

        private static String firstLineOfStdin() throws java.io.IOException {
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (line == null) {
                throw new IllegalArgumentException("--password-stdin: stdin is empty; write the password on its first line");
            }
            return line;
        }
    }
}

package eu.souverain.server.cli;

import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.Organization;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code souverain orgs create NAME}: on the same store as {@code serve}, whether or not it runs. */
@Command(name = "orgs", mixinStandardHelpOptions = true, description = "Manage organizations.",
        subcommands = OrgsCommand.Create.class)
final class OrgsCommand implements Runnable {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create an organization; prints its id on stdout.")
    static final class Create implements Callable<Integer> {

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Mixin
        StoreOptions store;

        @Parameters(paramLabel = "NAME", description = "The organization's name, unique in the installation.")
        String name;

        @Override
        public Integer call() throws Exception {
            Organization organization = StoreCommands.withTenancy(store,
                    tenancy -> tenancy.organizations().create(name, Actor.commandLine()));
            spec.commandLine().getOut().println(organization.id());
            spec.commandLine().getErr().println("souverain: created organization '" + organization.name() + "' ("
                    + organization.id() + ")");
            return 0;
        }
    }
}

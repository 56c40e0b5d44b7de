package eu.souverain.server.cli;

import eu.souverain.server.tenancy.Organization;
import eu.souverain.server.tenancy.Tenancy;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The organization a command works on: the one {@code --org} names or, without it, the only one
 * there is; an installation usually has just the one its first start made.
 */
final class OrganizationChoice {

    private OrganizationChoice() {}

    static Organization resolve(Tenancy tenancy, String idOrName) {
        if (idOrName != null) {
            return tenancy.organizations().find(idOrName);
        }
        List<Organization> all = tenancy.organizations().all();
        return switch (all.size()) {
            case 0 -> throw new IllegalArgumentException("no organization yet: start './souverain serve' once"
                    + " (it makes one) or run './souverain orgs create NAME'");
            case 1 -> all.getFirst();
            default -> throw new IllegalArgumentException("there are " + all.size() + " organizations: give --org with one of "
                    + all.stream().map(o -> "'" + o.name() + "' (" + o.id() + ")").collect(Collectors.joining(", ")));
        };
    }
}

package eu.souverain.server.tenancy;

import java.util.EnumSet;
import java.util.Optional;

/**
 * What the first start of the server on an empty store makes, so that a newcomer can sign in
 * and call the API at once, with no default password: an organization, its owner with a random
 * password (or the one given), and an API key with every scope. The secrets are returned once,
 * to be printed once; a later start finds the installation made and does nothing.
 *
 * @param ownerPassword the owner's random password, or null when it was given
 * @param apiKey        the first API key's whole secret form
 */
public record FirstStart(Organization organization, User owner, String ownerPassword, String apiKey) {

    /** The environment variable that sets the first owner's password instead of a random one. */
    public static final String OWNER_PASSWORD_VARIABLE = "SOUVERAIN_OWNER_PASSWORD";

    /**
     * Makes the installation unless it exists: the organization {@code organizationName} (taken
     * as it is if the command line created it already) and its owner {@code ownerEmail}.
     *
     * @param givenPassword the owner's password, or null for a random one
     */
    public static Optional<FirstStart> run(Tenancy tenancy, String organizationName, String ownerEmail,
                                           String givenPassword) {
        if (tenancy.installationOrganization().isPresent()) {
            return Optional.empty();
        }
        String email = Names.email(ownerEmail);
        if (givenPassword != null) {
            Passwords.requireAcceptable(givenPassword);
        }
        String password = givenPassword != null ? givenPassword : Tokens.password();
        String hash = Passwords.hash(password);
        Actor system = Actor.SYSTEM;
        return tenancy.database.inTransaction(h -> {
            // Checked again inside the transaction: two servers starting on one store make one installation.
            if (h.createQuery("SELECT count(*) FROM installation").mapTo(Integer.class).one() > 0) {
                return Optional.<FirstStart>empty();
            }
            Organization organization = Organizations.byName(h, organizationName)
                    .orElseGet(() -> tenancy.organizations().create(h, organizationName, system));
            h.createUpdate("INSERT INTO installation (id, organization_id, created_at) VALUES (1, :org, :at)")
                    .bind("org", organization.id()).bind("at", tenancy.clock.millis()).execute();
            User owner = tenancy.users().insert(h, organization.id(), email, Role.OWNER, hash, system);
            ApiKeys.Created key = tenancy.keys().create(h, organization.id(), "first key",
                    EnumSet.allOf(Scope.class), null, system);
            return Optional.of(new FirstStart(organization, owner, givenPassword != null ? null : password, key.secret()));
        });
    }

    /** The lines to print, once: clear and copy-pasteable; {@code baseUrl} is where the API answers. */
    public String announcement(String baseUrl) {
        return "souverain: first start: created organization '" + organization.name() + "' (" + organization.id()
                + ") and its owner. These secrets are shown this once; keep them now.\n"
                + "  owner email:    " + owner.email() + "\n"
                + "  owner password: " + (ownerPassword != null ? ownerPassword : "(from " + OWNER_PASSWORD_VARIABLE + ")")
                + "\n"
                + "  API key:        " + apiKey + "\n"
                + "  try it:         curl -H 'Authorization: Bearer " + apiKey + "' " + baseUrl + "/models\n";
    }
}

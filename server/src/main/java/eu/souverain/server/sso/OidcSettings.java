package eu.souverain.server.sso;

import eu.souverain.server.tenancy.Role;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How this server signs people in through an OpenID provider.
 *
 * @param organizationClaim the claim that names a person's organization; a value with an '@' (an
 *                          email address) stands for its domain
 * @param organizations     claim value (or "*" for any) to organization id or name
 * @param roleClaim         the claim that lists a person's groups at the provider
 * @param roles             each role and the provider groups that give it; when empty, everyone
 *                          is a member; otherwise a person in none of these groups is refused
 * @param redirectUri       the callback the provider knows for this server, or null to derive it
 *                          from each sign-in request's own address
 */
public record OidcSettings(URI issuer, String clientId, String clientSecret, String providerName,
                           String organizationClaim, Map<String, String> organizations, String roleClaim,
                           Map<Role, Set<String>> roles, URI redirectUri) {

    /** Longest difference between the provider's clock and ours that the token's times may show. */
    public static final int MAX_CLOCK_SKEW_SECONDS = 60;

    public OidcSettings {
        organizations = Map.copyOf(organizations);
        roles = Map.copyOf(roles);
        if (organizations.isEmpty()) {
            throw new IllegalArgumentException("single sign-on needs at least one --oidc-organization VALUE=ORG"
                    + " (or *=ORG) to know where its users belong");
        }
    }

    /** The role that the groups give: the first of owner, admin, member, auditor that one of them maps to. */
    Role role(List<String> groups) {
        if (roles.isEmpty()) {
            return Role.MEMBER;
        }
        for (Role role : Role.values()) {
            if (roles.getOrDefault(role, Set.of()).stream().anyMatch(groups::contains)) {
                return role;
            }
        }
        return null;
    }
}

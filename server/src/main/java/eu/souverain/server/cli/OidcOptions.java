package eu.souverain.server.cli;

import eu.souverain.server.sso.OidcSettings;
import eu.souverain.server.tenancy.Role;
import java.net.URI;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import picocli.CommandLine.Option;

/** Single sign-on through an OpenID provider, for {@code serve}; none unless --oidc-issuer is given. */
final class OidcOptions {

    @Option(names = "--oidc-issuer", paramLabel = "URL",
            description = "The OpenID provider's issuer; its /.well-known/openid-configuration is read on first use.")
    URI issuer;

    @Option(names = "--oidc-client-id", paramLabel = "ID", description = "This server's client id at the provider.")
    String clientId;

    @Option(names = "--oidc-client-secret", paramLabel = "env:VARIABLE",
            description = "The environment variable that holds the client secret (never the secret itself on the command line).")
    String clientSecret;

    @Option(names = "--oidc-provider-name", paramLabel = "NAME",
            description = "The provider's name on the sign-in button (default: the issuer's host).")
    String providerName;

    @Option(names = "--oidc-redirect-uri", paramLabel = "URL",
            description = "This server's callback as registered at the provider, ending in /auth/oidc/callback "
                    + "(default: derived from each sign-in request's address).")
    URI redirectUri;

    @Option(names = "--oidc-org-claim", paramLabel = "CLAIM",
            description = "The claim that names a user's organization; an email address stands for its domain (default: ${DEFAULT-VALUE}).")
    String organizationClaim = "email";

    @Option(names = "--oidc-organization", paramLabel = "VALUE=ORG",
            description = "Users whose organization claim is VALUE (* for any) belong to organization ORG (id or name); repeatable.")
    List<String> organizations = new ArrayList<>();

    @Option(names = "--oidc-role-claim", paramLabel = "CLAIM",
            description = "The claim that lists a user's groups at the provider (default: ${DEFAULT-VALUE}).")
    String roleClaim = "groups";

    @Option(names = "--oidc-role", paramLabel = "ROLE=GROUP[,ROLE=GROUP...]", split = ",",
            description = "The provider group that gives each role (owner, admin, member, auditor); the first role of "
                    + "that order whose group a user is in wins; with any given, a user in none is refused. "
                    + "Without: every user is a member.")
    List<String> roles = new ArrayList<>();

    /** The settings, or empty without --oidc-issuer; the secret is read from its environment variable. */
    Optional<OidcSettings> settings(Function<String, String> environment) {
        if (issuer == null) {
            if (clientId != null || clientSecret != null || !organizations.isEmpty()) {
                throw new IllegalArgumentException("--oidc-client-id, --oidc-client-secret and --oidc-organization"
                        + " need --oidc-issuer");
            }
            return Optional.empty();
        }
        if (clientId == null || clientSecret == null) {
            throw new IllegalArgumentException("--oidc-issuer needs --oidc-client-id and --oidc-client-secret env:VARIABLE");
        }
        if (!clientSecret.startsWith("env:") || clientSecret.length() == 4) {
            throw new IllegalArgumentException("--oidc-client-secret must be env:VARIABLE, naming the environment"
                    + " variable that holds the secret, so that it never shows in the process list");
        }
        String variable = clientSecret.substring(4);
        String secret = environment.apply(variable);
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("--oidc-client-secret: the environment variable " + variable
                    + " is not set");
        }
        Map<String, String> byValue = new LinkedHashMap<>();
        for (String mapping : organizations) {
            String[] parts = pair("--oidc-organization", mapping);
            byValue.put(parts[0], parts[1]);
        }
        Map<Role, Set<String>> byRole = new EnumMap<>(Role.class);
        for (String mapping : roles) {
            String[] parts = pair("--oidc-role", mapping);
            byRole.computeIfAbsent(Role.parse(parts[0]), r -> new LinkedHashSet<>()).add(parts[1]);
        }
        String name = providerName != null ? providerName : issuer.getHost();
        return Optional.of(new OidcSettings(issuer, clientId, secret, name, organizationClaim, byValue, roleClaim,
                byRole, redirectUri));
    }

    private static String[] pair(String option, String mapping) {
        int equals = mapping.indexOf('=');
        if (equals <= 0 || equals == mapping.length() - 1) {
            throw new IllegalArgumentException(option + " wants KEY=VALUE, got '" + mapping + "'");
        }
        return new String[] {mapping.substring(0, equals).strip(), mapping.substring(equals + 1).strip()};
    }
}

package eu.souverain.server.sso;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.Role;
import eu.souverain.server.tenancy.Tenancy;
import eu.souverain.server.tenancy.TenancyException;
import java.net.URI;
import java.net.URISyntaxException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;

/**
 * Each organization's own OpenID provider, set by its administrators (each change audited): the
 * owner of the tables {@code organization_sign_on} and {@code sign_on_domains}. People whose email
 * domain is one of the organization's sign in through its provider into it, with the roles its
 * groups give. The server keeps no client secret: an administrator names an environment variable
 * the operator set ({@value #SECRET_PREFIX}...), or none for a public client, which PKCE protects;
 * only variables of that prefix may be named, so that no other secret of the server's environment
 * can be sent to a provider an administrator chose.
 */
public final class OrganizationSignOn {

    public static final String SECRET_PREFIX = "env:SOUVERAIN_OIDC_";
    private static final Pattern SECRET = Pattern.compile("env:SOUVERAIN_OIDC_[A-Z0-9_]{1,64}");
    private static final Pattern DOMAIN = Pattern.compile("(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}");
    private static final Set<String> LOOPBACK = Set.of("127.0.0.1", "localhost", "[::1]", "::1");
    public static final int MAX_DOMAINS = 20;
    private static final int MAX_TEXT = 200;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * An organization's provider as its administrators set it.
     *
     * @param clientSecret {@code env:SOUVERAIN_OIDC_NAME}, or null for a public client
     * @param roles        each role and the provider groups that give it; empty: everyone is a member
     */
    public record Provider(String organizationId, URI issuer, String clientId, String clientSecret, String providerName,
                           List<String> domains, String roleClaim, Map<Role, Set<String>> roles, long updatedAt) {}

    private record Cached(long updatedAt, SingleSignOn signOn) {}

    private final Database database;
    private final Tenancy tenancy;
    private final Clock clock;
    private final UnaryOperator<String> environment;
    /** Each organization's sign-on as last built, so that its provider is discovered once per change. */
    private final Map<String, Cached> built = new ConcurrentHashMap<>();

    public OrganizationSignOn(Database database, Tenancy tenancy, Clock clock, UnaryOperator<String> environment) {
        this.database = database;
        this.tenancy = tenancy;
        this.clock = clock;
        this.environment = environment;
    }

    public Optional<Provider> get(String organizationId) {
        return database.jdbi().withHandle(h -> provider(h, organizationId));
    }

    /** Sets the organization's provider, checked; audited {@code sso.settings.set}. */
    public Provider put(String organizationId, URI issuer, String clientId, String clientSecret, String providerName,
                        List<String> domains, String roleClaim, Map<Role, Set<String>> roles, Actor actor) {
        URI checkedIssuer = issuer(issuer);
        String id = text("client_id", clientId);
        String name = text("provider_name", providerName);
        String claim = roleClaim == null || roleClaim.isBlank() ? "groups" : text("role_claim", roleClaim);
        if (clientSecret != null) {
            if (!SECRET.matcher(clientSecret).matches()) {
                throw TenancyException.invalid("client_secret", "client_secret names an environment variable of the"
                        + " server as " + SECRET_PREFIX + "NAME (capitals, digits, '_'), or is null for a public client");
            }
            String variable = clientSecret.substring("env:".length());
            if (environment.apply(variable) == null) {
                throw TenancyException.invalid("client_secret", "the server's environment has no " + variable
                        + ": ask its operator to set it, then save again");
            }
        }
        List<String> checkedDomains = domains(domains);
        long now = clock.millis();
        return database.inTransaction(h -> {
            List<String> taken = h.createQuery("SELECT domain FROM sign_on_domains WHERE domain IN (<domains>)"
                            + " AND organization_id <> :org")
                    .bindList("domains", checkedDomains).bind("org", organizationId).mapTo(String.class).list();
            if (!taken.isEmpty()) {
                throw TenancyException.conflict("domains", "another organization signs in people of "
                        + String.join(", ", taken));
            }
            h.createUpdate("DELETE FROM sign_on_domains WHERE organization_id = :org").bind("org", organizationId)
                    .execute();
            h.createUpdate("DELETE FROM organization_sign_on WHERE organization_id = :org").bind("org", organizationId)
                    .execute();
            h.createUpdate("""
                            INSERT INTO organization_sign_on (organization_id, issuer, client_id, client_secret,
                                provider_name, role_claim, roles, updated_at)
                            VALUES (:org, :issuer, :client, :secret, :name, :claim, :roles, :at)""")
                    .bind("org", organizationId).bind("issuer", checkedIssuer.toString()).bind("client", id)
                    .bind("secret", clientSecret).bind("name", name).bind("claim", claim).bind("roles", json(roles))
                    .bind("at", now).execute();
            for (String domain : checkedDomains) {
                h.createUpdate("INSERT INTO sign_on_domains (domain, organization_id) VALUES (:domain, :org)")
                        .bind("domain", domain).bind("org", organizationId).execute();
            }
            tenancy.audit().append(h, AuditEvent.of(organizationId, actor.id(), "sso.settings.set",
                    checkedIssuer + " for " + String.join(", ", checkedDomains), actor.clientIp(),
                    AuditEvent.Outcome.SUCCESS));
            return provider(h, organizationId).orElseThrow();
        });
    }

    /** Removes the organization's provider; whether it had one. Audited {@code sso.settings.remove}. */
    public boolean remove(String organizationId, Actor actor) {
        return database.inTransaction(h -> {
            h.createUpdate("DELETE FROM sign_on_domains WHERE organization_id = :org").bind("org", organizationId)
                    .execute();
            boolean removed = h.createUpdate("DELETE FROM organization_sign_on WHERE organization_id = :org")
                    .bind("org", organizationId).execute() > 0;
            if (removed) {
                tenancy.audit().append(h, AuditEvent.of(organizationId, actor.id(), "sso.settings.remove",
                        organizationId, actor.clientIp(), AuditEvent.Outcome.SUCCESS));
            }
            return removed;
        });
    }

    /** Whether any organization has a provider of its own. */
    public boolean any() {
        return database.jdbi().withHandle(h -> h.createQuery("SELECT COUNT(*) FROM organization_sign_on")
                .mapTo(Long.class).one() > 0);
    }

    /** The organization whose provider signs in people of {@code email}'s domain, if any. */
    public Optional<Provider> forEmail(String email) {
        if (email == null || email.indexOf('@') < 0) {
            return Optional.empty();
        }
        String domain = email.substring(email.lastIndexOf('@') + 1).strip().toLowerCase(Locale.ROOT);
        return database.jdbi().withHandle(h -> h.createQuery(
                        "SELECT organization_id FROM sign_on_domains WHERE domain = :domain")
                .bind("domain", domain).mapTo(String.class).findOne().flatMap(org -> provider(h, org)));
    }

    /** The sign-on through the organization's provider, as last set; empty when it has none. */
    public Optional<SingleSignOn> signOn(String organizationId) {
        Optional<Provider> provider = get(organizationId);
        if (provider.isEmpty()) {
            built.remove(organizationId);
            return Optional.empty();
        }
        Provider p = provider.get();
        Cached cached = built.compute(organizationId, (org, old) -> old != null && old.updatedAt() == p.updatedAt()
                ? old : new Cached(p.updatedAt(), new SingleSignOn(settings(p), organizationId, database, tenancy, clock)));
        return Optional.of(cached.signOn());
    }

    /** The organization whose provider began the sign-in {@code state} names, if it is one under way. */
    public Optional<String> organizationOf(String state) {
        return new OidcLogins(database, clock).organizationOf(state);
    }

    private OidcSettings settings(Provider p) {
        String secret = null;
        if (p.clientSecret() != null) {
            secret = environment.apply(p.clientSecret().substring("env:".length()));
            if (secret == null) {
                throw new SignInUnavailable("the client secret of " + p.providerName() + " is not in the server's"
                        + " environment (" + p.clientSecret() + ")");
            }
        }
        return new OidcSettings(p.issuer(), p.clientId(), secret, p.providerName(), "email",
                Map.of("*", p.organizationId()), p.roleClaim(), p.roles(), null);
    }

    private static Optional<Provider> provider(Handle h, String organizationId) {
        List<String> domains = h.createQuery(
                        "SELECT domain FROM sign_on_domains WHERE organization_id = :org ORDER BY domain")
                .bind("org", organizationId).mapTo(String.class).list();
        return h.createQuery("SELECT * FROM organization_sign_on WHERE organization_id = :org")
                .bind("org", organizationId).map((rs, ctx) -> provider(rs, domains)).findOne();
    }

    private static Provider provider(ResultSet rs, List<String> domains) throws SQLException {
        return new Provider(rs.getString("organization_id"), URI.create(rs.getString("issuer")),
                rs.getString("client_id"), rs.getString("client_secret"), rs.getString("provider_name"), domains,
                rs.getString("role_claim"), roles(rs.getString("roles")), rs.getLong("updated_at"));
    }

    /** https, or http to this machine only (a provider run beside the server, as in tests). */
    private static URI issuer(URI issuer) {
        if (issuer == null || issuer.getHost() == null) {
            throw TenancyException.invalid("issuer", "issuer must be the provider's https:// URL");
        }
        boolean https = "https".equalsIgnoreCase(issuer.getScheme());
        boolean local = "http".equalsIgnoreCase(issuer.getScheme()) && LOOPBACK.contains(issuer.getHost());
        if (!https && !local || issuer.getRawUserInfo() != null || issuer.getRawQuery() != null
                || issuer.getRawFragment() != null) {
            throw TenancyException.invalid("issuer", "issuer must be an https:// URL without credentials, query or"
                    + " fragment (http:// only on this machine's loopback), was '" + issuer.getScheme() + "://"
                    + issuer.getHost() + "'");
        }
        return issuer;
    }

    /** Parses an issuer given as text, naming the field when it is no URL. */
    public static URI issuer(String text) {
        try {
            return new URI(text == null ? "" : text.strip());
        } catch (URISyntaxException e) {
            throw TenancyException.invalid("issuer", "issuer is not a URL: " + e.getReason());
        }
    }

    private static String text(String field, String value) {
        if (value == null || value.isBlank() || value.length() > MAX_TEXT) {
            throw TenancyException.invalid(field, field + " must be a non-blank text of at most " + MAX_TEXT
                    + " characters");
        }
        return value.strip();
    }

    private static List<String> domains(List<String> domains) {
        if (domains == null || domains.isEmpty() || domains.size() > MAX_DOMAINS) {
            throw TenancyException.invalid("domains", "domains lists the email domains whose people sign in through"
                    + " this provider: 1 to " + MAX_DOMAINS);
        }
        Set<String> checked = new TreeSet<>();
        for (String domain : domains) {
            String lower = domain == null ? "" : domain.strip().toLowerCase(Locale.ROOT);
            if (!DOMAIN.matcher(lower).matches()) {
                throw TenancyException.invalid("domains", "'" + domain + "' is not an email domain such as example.com");
            }
            checked.add(lower);
        }
        return new ArrayList<>(checked);
    }

    private static String json(Map<Role, Set<String>> roles) {
        Map<String, List<String>> wire = new LinkedHashMap<>();
        for (Role role : Role.values()) {
            Set<String> groups = roles.getOrDefault(role, Set.of());
            for (String group : groups) {
                text("roles." + role.wireName(), group);
            }
            if (!groups.isEmpty()) {
                wire.put(role.wireName(), new ArrayList<>(new TreeSet<>(groups)));
            }
        }
        try {
            return JSON.writeValueAsString(wire);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("lists of strings always write as JSON", e);
        }
    }

    private static Map<Role, Set<String>> roles(String json) {
        try {
            Map<String, List<String>> wire = JSON.readValue(json, new TypeReference<LinkedHashMap<String, List<String>>>() {
            });
            Map<Role, Set<String>> roles = new EnumMap<>(Role.class);
            wire.forEach((role, groups) -> roles.put(Role.parse(role), new LinkedHashSet<>(groups)));
            return roles;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored roles are not JSON", e);
        }
    }
}

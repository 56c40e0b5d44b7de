package eu.souverain.server.sso;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWT;
import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.GeneralException;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import com.nimbusds.oauth2.sdk.auth.ClientAuthenticationMethod;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.ClientSecretPost;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.openid.connect.sdk.AuthenticationRequest;
import com.nimbusds.openid.connect.sdk.Nonce;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponse;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponseParser;
import com.nimbusds.openid.connect.sdk.claims.IDTokenClaimsSet;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import com.nimbusds.openid.connect.sdk.token.OIDCTokens;
import com.nimbusds.openid.connect.sdk.validators.AccessTokenValidator;
import com.nimbusds.openid.connect.sdk.validators.IDTokenValidator;
import com.nimbusds.openid.connect.sdk.validators.InvalidHashException;
import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.ExternalSignIns;
import eu.souverain.server.tenancy.Role;
import eu.souverain.server.tenancy.Tenancy;
import eu.souverain.server.tenancy.TenancyException;
import eu.souverain.server.tenancy.WebSessions;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Sign-in through an OpenID provider: the authorization code flow with PKCE (S256), a state and a
 * nonce. The provider is found by discovery; the ID token's signature is checked against the
 * provider's published keys, and its issuer, audience, expiry, issue time (within
 * {@value OidcSettings#MAX_CLOCK_SKEW_SECONDS} s of skew), nonce and, when present, at_hash.
 * Every refusal is audited as {@code auth.sso}, DENIED, with the reason.
 */
public final class SingleSignOn {

    /** Timeouts of every call to the provider, so that a slow one cannot hold a sign-in for long. */
    private static final int CONNECT_TIMEOUT_MS = 5_000;
    private static final int READ_TIMEOUT_MS = 10_000;

    /** Where to send the browser, and the random value of the cookie that binds the sign-in to it. */
    public record Start(URI authorizationUri, String binding) {
    }

    private record Provider(OIDCProviderMetadata metadata, IDTokenValidator validator) {
    }

    private final OidcSettings settings;
    /** The organization whose own provider this is, or null for the server's (settings map the organizations). */
    private final String organizationId;
    private final Tenancy tenancy;
    private final OidcLogins logins;
    /** Claim value to organization id, resolved once at start so that a typo stops the server there. */
    private final Map<String, String> organizations = new HashMap<>();
    private volatile Provider provider;

    /** The server's provider (serve --oidc-issuer), whose settings map people to organizations. */
    public SingleSignOn(OidcSettings settings, Database database, Tenancy tenancy, Clock clock) {
        this(settings, null, database, tenancy, clock);
    }

    /** An organization's own provider ({@link OrganizationSignOn}), or the server's when {@code organizationId} is null. */
    SingleSignOn(OidcSettings settings, String organizationId, Database database, Tenancy tenancy, Clock clock) {
        this.settings = settings;
        this.organizationId = organizationId;
        this.tenancy = tenancy;
        this.logins = new OidcLogins(database, clock);
        settings.organizations().forEach((value, organization) ->
                organizations.put(value.toLowerCase(Locale.ROOT), tenancy.organizations().find(organization).id()));
    }

    public String providerName() {
        return settings.providerName();
    }

    /** The provider's end_session_endpoint, when its discovery names one. */
    public Optional<URI> endSessionEndpoint() {
        return Optional.ofNullable(provider().metadata().getEndSessionEndpointURI());
    }

    /**
     * Begins a sign-in: a fresh state, nonce and PKCE verifier kept server-side, and the
     * provider's authorization URI to send the browser to.
     *
     * @param requestRedirectUri this server's callback as the request reached it, used unless
     *                           the settings name one
     */
    public Start begin(URI requestRedirectUri) {
        URI authorizationEndpoint = provider().metadata().getAuthorizationEndpointURI();
        URI redirectUri = settings.redirectUri() != null ? settings.redirectUri() : requestRedirectUri;
        State state = new State();
        Nonce nonce = new Nonce();
        CodeVerifier verifier = new CodeVerifier();
        String binding = new State().getValue();
        logins.begin(state.getValue(), binding, nonce.getValue(), verifier.getValue(), redirectUri, organizationId);
        URI uri = new AuthenticationRequest.Builder(ResponseType.CODE, new Scope("openid", "email", "profile"),
                new ClientID(settings.clientId()), redirectUri)
                .endpointURI(authorizationEndpoint)
                .state(state).nonce(nonce).codeChallenge(verifier, CodeChallengeMethod.S256)
                .build().toURI();
        return new Start(uri, binding);
    }

    /**
     * Finishes the sign-in the provider sent the browser back from: the state must be one this
     * server began, in this browser, not used before; the code is exchanged with the verifier and
     * the client's secret; the ID token must pass every check. Provisions the user on its first
     * sign-in and opens its web session; any refusal is audited, then thrown as {@link SignInRefused}.
     */
    public WebSessions.SignedIn finish(String state, String code, String error, String binding, String clientIp) {
        Optional<OidcLogins.Pending> pending = logins.take(state, binding);
        if (pending.isPresent() && !Objects.equals(pending.get().organizationId(), organizationId)) {
            throw refused(clientIp, null, SignInRefused.Reason.EXPIRED, "the state was begun with another provider");
        }
        if (pending.isEmpty()) {
            throw refused(clientIp, null, SignInRefused.Reason.EXPIRED, "the state is unknown, used already, expired or from another browser");
        }
        if (error != null) {
            throw refused(clientIp, null, SignInRefused.Reason.PROVIDER, "the provider answered the error '" + error + "'");
        }
        if (code == null || code.isBlank()) {
            throw refused(clientIp, null, SignInRefused.Reason.PROVIDER, "the provider sent no authorization code");
        }
        Provider current = provider();
        OIDCTokens tokens = exchange(current, code, pending.get(), clientIp);
        JWT idToken = tokens.getIDToken();
        if (idToken == null) {
            throw refused(clientIp, null, SignInRefused.Reason.PROVIDER, "the provider's answer has no ID token");
        }
        IDTokenClaimsSet claims;
        try {
            claims = current.validator().validate(idToken, new Nonce(pending.get().nonce()));
        } catch (BadJOSEException | com.nimbusds.jose.JOSEException e) {
            throw refused(clientIp, null, SignInRefused.Reason.TOKEN, "ID token refused: " + e.getMessage());
        }
        String subject = claims.getSubject().getValue();
        if (claims.getAccessTokenHash() != null) {
            try {
                AccessTokenValidator.validate(tokens.getAccessToken(),
                        ((JWSHeader) idToken.getHeader()).getAlgorithm(), claims.getAccessTokenHash());
            } catch (InvalidHashException e) {
                throw refused(clientIp, subject, SignInRefused.Reason.TOKEN, "ID token refused: its at_hash does not match the access token");
            }
        }
        return signIn(claims, subject, clientIp);
    }

    private WebSessions.SignedIn signIn(IDTokenClaimsSet claims, String subject, String clientIp) {
        String email = claims.getStringClaim("email");
        if (email == null) {
            throw refused(clientIp, subject, SignInRefused.Reason.TOKEN, "the ID token has no email claim");
        }
        String organizationId = organization(claims);
        if (organizationId == null) {
            throw refused(clientIp, subject, SignInRefused.Reason.ORGANIZATION, "the claim '" + settings.organizationClaim()
                    + "' maps to no organization of this server");
        }
        List<String> groups = stringList(claims, settings.roleClaim());
        Role role = settings.role(groups);
        if (role == null) {
            throw refused(clientIp, subject, organizationId, SignInRefused.Reason.ROLE, "none of the provider's groups in '" + settings.roleClaim()
                    + "' gives a role");
        }
        Boolean verified = claims.getBooleanClaim("email_verified");
        try {
            return tenancy.externalSignIns().signIn(new ExternalSignIns.Identity(claims.getIssuer().getValue(), subject,
                    email, Boolean.TRUE.equals(verified), organizationId, role, new LinkedHashSet<>(groups)), clientIp);
        } catch (TenancyException e) {
            // Refusals (a disabled or foreign account) are audited where they are decided.
            throw new SignInRefused(SignInRefused.Reason.ACCOUNT, e.getMessage());
        }
    }

    private String organization(IDTokenClaimsSet claims) {
        Object value = claims.getClaim(settings.organizationClaim());
        Set<String> candidates = new HashSet<>();
        if (value instanceof String text) {
            candidates.add(text);
        } else if (value instanceof List<?> list) {
            list.forEach(item -> candidates.add(String.valueOf(item)));
        }
        for (String candidate : candidates) {
            String key = candidate.substring(candidate.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
            if (organizations.containsKey(key)) {
                return organizations.get(key);
            }
        }
        return organizations.get("*");
    }

    private static List<String> stringList(IDTokenClaimsSet claims, String name) {
        if (name == null) {
            return List.of();
        }
        Object value = claims.getClaim(name);
        if (value instanceof String text) {
            return List.of(text);
        }
        if (value instanceof List<?> list) {
            return list.stream().map(String::valueOf).toList();
        }
        return List.of();
    }

    private OIDCTokens exchange(Provider current, String code, OidcLogins.Pending pending, String clientIp) {
        ClientID client = new ClientID(settings.clientId());
        AuthorizationCodeGrant grant = new AuthorizationCodeGrant(new AuthorizationCode(code), pending.redirectUri(),
                new CodeVerifier(pending.codeVerifier()));
        TokenRequest request;
        if (settings.clientSecret() == null) {
            // A public client: the code verifier alone proves that this server began the sign-in.
            request = new TokenRequest(current.metadata().getTokenEndpointURI(), client, grant);
        } else {
            Secret secret = new Secret(settings.clientSecret());
            List<ClientAuthenticationMethod> methods = current.metadata().getTokenEndpointAuthMethods();
            ClientAuthentication authentication = methods != null
                    && !methods.contains(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
                    && methods.contains(ClientAuthenticationMethod.CLIENT_SECRET_POST)
                    ? new ClientSecretPost(client, secret) : new ClientSecretBasic(client, secret);
            request = new TokenRequest(current.metadata().getTokenEndpointURI(), authentication, grant);
        }
        HTTPRequest http = request.toHTTPRequest();
        http.setConnectTimeout(CONNECT_TIMEOUT_MS);
        http.setReadTimeout(READ_TIMEOUT_MS);
        TokenResponse response;
        try {
            response = OIDCTokenResponseParser.parse(http.send());
        } catch (IOException | ParseException e) {
            throw refused(clientIp, null, SignInRefused.Reason.PROVIDER, "the provider's token endpoint failed: " + e.getMessage());
        }
        if (!response.indicatesSuccess()) {
            throw refused(clientIp, null, SignInRefused.Reason.PROVIDER, "the provider refused the code: "
                    + response.toErrorResponse().getErrorObject().getCode());
        }
        return ((OIDCTokenResponse) response.toSuccessResponse()).getOIDCTokens();
    }

    /**
     * The provider's metadata and a validator on its keys, discovered on first use and kept; a
     * provider that cannot be reached now is tried again on the next sign-in.
     */
    private Provider provider() {
        Provider found = provider;
        if (found != null) {
            return found;
        }
        synchronized (this) {
            if (provider == null) {
                provider = discover();
            }
            return provider;
        }
    }

    private Provider discover() {
        Issuer issuer = new Issuer(settings.issuer());
        OIDCProviderMetadata metadata;
        try {
            metadata = OIDCProviderMetadata.resolve(issuer, CONNECT_TIMEOUT_MS, READ_TIMEOUT_MS);
        } catch (GeneralException | IOException e) {
            throw new SignInUnavailable("the OpenID provider " + settings.issuer() + " cannot be discovered: "
                    + e.getMessage());
        }
        Set<JWSAlgorithm> algorithms = new HashSet<>();
        List<JWSAlgorithm> declared = metadata.getIDTokenJWSAlgs();
        for (JWSAlgorithm algorithm : declared == null ? List.of(JWSAlgorithm.RS256) : declared) {
            // Only keys the provider publishes: never "none", nor an HMAC keyed by the client's secret.
            if (JWSAlgorithm.Family.RSA.contains(algorithm) || JWSAlgorithm.Family.EC.contains(algorithm)
                    || JWSAlgorithm.Family.ED.contains(algorithm)) {
                algorithms.add(algorithm);
            }
        }
        JWKSource<SecurityContext> keys;
        try {
            keys = JWKSourceBuilder.<SecurityContext>create(metadata.getJWKSetURI().toURL()).build();
        } catch (MalformedURLException | IllegalArgumentException e) {
            throw new SignInUnavailable("the OpenID provider's jwks_uri is not a URL: " + metadata.getJWKSetURI());
        }
        IDTokenValidator validator = new IDTokenValidator(issuer, new ClientID(settings.clientId()),
                new JWSVerificationKeySelector<>(algorithms, keys), null);
        validator.setMaxClockSkew(OidcSettings.MAX_CLOCK_SKEW_SECONDS);
        return new Provider(metadata, validator);
    }

    private SignInRefused refused(String clientIp, String subject, SignInRefused.Reason reason, String why) {
        return refused(clientIp, subject, null, reason, why);
    }

    private SignInRefused refused(String clientIp, String subject, String organizationId, SignInRefused.Reason reason,
                                  String why) {
        tenancy.audit().append(AuditEvent.of(organizationId, subject == null ? "anonymous" : "sso:" + subject,
                "auth.sso", why, clientIp, AuditEvent.Outcome.DENIED));
        return new SignInRefused(reason, why);
    }
}

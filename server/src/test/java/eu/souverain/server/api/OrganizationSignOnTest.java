package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.sso.OrganizationSignOn;
import eu.souverain.server.store.TestDatabases;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An organization's own OpenID provider, set through /v1/admin/sso by its administrators (each
 * change audited): the people of its email domains find it from their address and sign in through
 * it into that organization, with the roles its groups give; what could reach another organization
 * or another secret of the server is refused.
 */
class OrganizationSignOnTest {

    private static final String CLIENT = "souverain-beta";

    @TempDir
    Path dir;
    MockOAuth2Server provider;
    TenancyFixture f;
    final HttpClient browser = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        provider = new MockOAuth2Server();
        provider.start(InetAddress.getLoopbackAddress(), 0);
        f = new TenancyFixture(TestDatabases.SQLITE, dir);
        f.server.organizationsSignInWith(new OrganizationSignOn(f.database, f.tenancy, f.clock,
                Map.of("SOUVERAIN_OIDC_BETA", "beta secret")::get));
    }

    @AfterEach
    void stop() {
        f.close();
        provider.shutdown();
    }

    private String betaProvider(String secret) {
        return """
                {"issuer": "%s", "client_id": "%s", "client_secret": %s, "provider_name": "Beta ID",
                 "domains": ["Beta.test"], "roles": {"admin": ["beta-admins"], "member": ["beta-staff"]}}"""
                .formatted(provider.issuerUrl("beta"), CLIENT, secret == null ? "null" : "\"" + secret + "\"");
    }

    private TestServer.Reply put(TestServer as, String body) {
        return as.send(f.request("/v1/admin/sso").header("Content-Type", "application/json")
                .PUT(TenancyFixture.json(body)).build());
    }

    /** Signs in through the provider {@code login} names, as the person the provider's next token names. */
    private TestServer.Reply signIn(String login, String subject, String email, List<String> groups) throws Exception {
        TestServer.Reply begun = f.anonymous(f.request(login).GET().build());
        assertThat(begun.status()).as(begun.raw().body()).isEqualTo(302);
        String binding = begun.raw().headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith(OidcRoutes.BINDING_COOKIE + "=")).findFirst().orElseThrow();
        provider.enqueueCallback(new DefaultOAuth2TokenCallback("beta", subject, "JWT", List.of(CLIENT),
                Map.of("email", email, "groups", groups), 3600));
        HttpResponse<String> authorized = browser.send(HttpRequest.newBuilder(URI.create(begun.header("Location")))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(authorized.statusCode()).isEqualTo(302);
        return f.anonymous(HttpRequest.newBuilder(URI.create(authorized.headers().firstValue("Location").orElseThrow()))
                .header("Cookie", binding.substring(0, binding.indexOf(';'))).GET().build());
    }

    @Test
    void anOrganizationsOwnProviderSignsInThePeopleOfItsDomainsIntoItWithTheRolesOfTheirGroups() throws Exception {
        assertThat(f.b.get("/v1/admin/sso").body().get("provider").isNull()).isTrue();
        TestServer.Reply set = put(f.b, betaProvider(null));
        assertThat(set.status()).as(set.raw().body()).isEqualTo(200);
        JsonNode saved = set.body().get("provider");
        assertThat(saved.get("domains")).extracting(JsonNode::asText).containsExactly("beta.test");
        assertThat(saved.get("client_secret").isNull()).isTrue();
        assertThat(saved.at("/roles/admin/0").asText()).isEqualTo("beta-admins");
        assertThat(f.b.get("/v1/admin/sso").body().get("provider")).isEqualTo(saved);
        assertThat(f.audit("sso.settings.set", "SUCCESS")).hasSize(1)
                .allSatisfy(e -> assertThat(e.get("organization_id")).isEqualTo(f.orgB.id()));

        JsonNode offer = f.anonymous(f.request("/auth/providers?email=pat@BETA.test").GET().build()).body()
                .get("organization_oidc");
        assertThat(offer.get("name").asText()).isEqualTo("Beta ID");
        assertThat(f.anonymous(f.request("/auth/providers?email=pat@a.example").GET().build()).body()
                .get("organization_oidc").isNull()).isTrue();

        // A public client: PKCE alone, no secret.
        TestServer.Reply signedIn = signIn(offer.get("login_url").asText(), "pat-sub", "pat@beta.test",
                List.of("beta-admins"));
        assertThat(signedIn.status()).as(signedIn.raw().body()).isEqualTo(302);
        assertThat(signedIn.header("Location")).isEqualTo("/");
        String session = signedIn.raw().headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith(Authentication.SESSION_COOKIE + "=")).findFirst().orElseThrow();
        JsonNode user = f.anonymous(f.request("/auth/session").header("Cookie", session.substring(0, session.indexOf(';')))
                .GET().build()).body().get("user");
        assertThat(user.get("organization_id").asText()).isEqualTo(f.orgB.id());
        assertThat(user.get("role").asText()).isEqualTo("admin");

        // With a secret from the operator's environment, and a person in no group that gives a role: refused.
        assertThat(put(f.b, betaProvider("env:SOUVERAIN_OIDC_BETA")).status()).isEqualTo(200);
        TestServer.Reply refused = signIn(offer.get("login_url").asText(), "vic-sub", "vic@beta.test", List.of("guests"));
        assertThat(refused.status()).isEqualTo(401);
        assertThat(f.audit("auth.sso", "DENIED")).last().satisfies(e -> assertThat((String) e.get("resource"))
                .contains("none of the provider's groups"));

        TestServer.Reply removed = f.b.send(f.request("/v1/admin/sso").DELETE().build());
        assertThat(removed.status()).isEqualTo(204);
        assertThat(f.audit("sso.settings.remove", "SUCCESS")).hasSize(1);
        assertThat(f.anonymous(f.request(offer.get("login_url").asText()).GET().build()).status()).isEqualTo(404);
    }

    @Test
    void whatCouldReachAnotherOrganizationOrAnotherSecretIsRefused() throws IOException {
        assertThat(put(f.b, betaProvider(null)).status()).isEqualTo(200);
        // Another organization cannot take a domain, so its provider never greets these people.
        TestServer.Reply taken = put(f.a, betaProvider(null));
        assertThat(taken.status()).isEqualTo(409);
        assertThat(TenancyFixture.error(taken).get("message").asText()).contains("beta.test");
        // Only the operator's SOUVERAIN_OIDC_ variables may be named: no other secret of the server leaves.
        TestServer.Reply otherSecret = put(f.a, betaProvider("env:PATH").replace("Beta.test", "a.example"));
        assertThat(otherSecret.status()).isEqualTo(400);
        assertThat(TenancyFixture.error(otherSecret).get("param").asText()).isEqualTo("client_secret");
        TestServer.Reply unset = put(f.a, betaProvider("env:SOUVERAIN_OIDC_ALPHA").replace("Beta.test", "a.example"));
        assertThat(TenancyFixture.error(unset).get("message").asText()).contains("has no SOUVERAIN_OIDC_ALPHA");
        TestServer.Reply plainHttp = put(f.a, betaProvider(null).replace("Beta.test", "a.example")
                .replace(provider.issuerUrl("beta").toString(), "http://id.example/realms/a"));
        assertThat(plainHttp.status()).isEqualTo(400);
        assertThat(TenancyFixture.error(plainHttp).get("param").asText()).isEqualTo("issuer");
        // Members may not set it; nothing refused was kept or audited as set.
        assertThat(put(f.withScopes(eu.souverain.server.tenancy.Scope.CHAT), betaProvider(null)).status()).isEqualTo(403);
        assertThat(f.a.get("/v1/admin/sso").body().get("provider").isNull()).isTrue();
        assertThat(f.audit("sso.settings.set", "SUCCESS")).hasSize(1);
    }
}

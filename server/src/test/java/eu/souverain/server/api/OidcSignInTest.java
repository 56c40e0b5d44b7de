package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.sso.OidcSettings;
import eu.souverain.server.sso.SingleSignOn;
import eu.souverain.server.store.TestDatabases;
import eu.souverain.server.tenancy.Role;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Single sign-on against a real OpenID provider on loopback (NAV's mock-oauth2-server): the whole
 * code flow over HTTP, as a browser goes through it, and the attacks on it, each refused and audited.
 */
class OidcSignInTest {

    static final String CLIENT = "souverain";
    static final String ISSUER_ID = "corp";

    @TempDir
    Path dir;
    MockOAuth2Server provider;
    TenancyFixture f;
    final HttpClient browser = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        provider = new MockOAuth2Server();
        provider.start(InetAddress.getLoopbackAddress(), 0);
        f = new TenancyFixture(store(), dir);
        f.server.signInWith(new SingleSignOn(settings(provider.issuerUrl(ISSUER_ID).uri()), f.database, f.tenancy,
                f.clock));
    }

    /** The store these tests run on; {@link OidcSignInPostgresTest} runs them all again on PostgreSQL. */
    TestDatabases store() {
        return TestDatabases.SQLITE;
    }

    @AfterEach
    void stop() {
        f.close();
        provider.shutdown();
    }

    static OidcSettings settings(URI issuer) {
        return new OidcSettings(issuer, CLIENT, "client secret", "Corp ID", "email", Map.of("a.example", "Alpha"),
                "groups", Map.of(Role.ADMIN, Set.of("souverain-admins"), Role.MEMBER, Set.of("staff"),
                        Role.AUDITOR, Set.of("audit")), null);
    }

    /** What the browser holds after GET /auth/oidc/login: the provider's address and the binding cookie. */
    record Begun(URI authorization, String binding) {
        String query(String name) {
            for (String pair : authorization.getRawQuery().split("&")) {
                if (pair.startsWith(name + "=")) {
                    return java.net.URLDecoder.decode(pair.substring(name.length() + 1), java.nio.charset.StandardCharsets.UTF_8);
                }
            }
            return null;
        }
    }

    Begun begin() {
        TestServer.Reply login = f.anonymous(f.request(OidcRoutes.LOGIN_PATH).GET().build());
        assertThat(login.status()).isEqualTo(302);
        String cookie = login.raw().headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith(OidcRoutes.BINDING_COOKIE + "=")).findFirst().orElseThrow();
        assertThat(cookie).contains("HttpOnly").contains("SameSite=Lax");
        return new Begun(URI.create(login.header("Location")), cookie.substring(0, cookie.indexOf(';')));
    }

    /** The provider's answer to the authorization request: its redirect back to our callback, with code and state. */
    URI authorize(Begun begun) throws IOException, InterruptedException {
        HttpResponse<String> answer = browser.send(HttpRequest.newBuilder(begun.authorization()).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(302);
        return URI.create(answer.headers().firstValue("Location").orElseThrow());
    }

    TestServer.Reply callback(URI callback, String binding) {
        HttpRequest.Builder request = HttpRequest.newBuilder(callback).GET();
        if (binding != null) {
            request.header("Cookie", binding);
        }
        return f.anonymous(request.build());
    }

    void nextToken(String subject, List<String> audience, Map<String, Object> claims, long expirySeconds) {
        provider.enqueueCallback(new DefaultOAuth2TokenCallback(ISSUER_ID, subject, "JWT", audience, claims,
                expirySeconds));
    }

    int refusals() {
        return f.audit("auth.sso", "DENIED").size();
    }

    String lastRefusal() {
        List<Map<String, Object>> denied = f.audit("auth.sso", "DENIED");
        return (String) denied.getLast().get("resource");
    }

    @Test
    void signsInWithTheRoleFromTheGroupsClaimAndProvisionsTheUserOnce() throws Exception {
        Begun begun = begin();
        assertThat(begun.query("code_challenge_method")).isEqualTo("S256");
        assertThat(begun.query("nonce")).isNotBlank();
        assertThat(begun.query("state")).isNotBlank();
        nextToken("ann-sub", List.of(CLIENT), Map.of("email", "ann@a.example", "groups", List.of("staff", "souverain-admins")),
                3600);
        TestServer.Reply signedIn = callback(authorize(begun), begun.binding());
        assertThat(signedIn.status()).as(signedIn.raw().body()).isEqualTo(302);
        assertThat(signedIn.header("Location")).isEqualTo("/");
        String session = signedIn.raw().headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith(Authentication.SESSION_COOKIE + "=")).findFirst().orElseThrow();
        TestServer.Reply me = f.anonymous(f.request("/auth/session")
                .header("Cookie", session.substring(0, session.indexOf(';'))).GET().build());
        assertThat(me.status()).isEqualTo(200);
        JsonNode user = me.body().get("user");
        assertThat(user.get("email").asText()).isEqualTo("ann@a.example");
        assertThat(user.get("role").asText()).isEqualTo("admin");
        assertThat(user.get("organization_id").asText()).isEqualTo(f.orgA.id());
        assertThat(f.audit("auth.sso", "SUCCESS")).hasSize(1);

        // The provider moved her to the auditors: her next sign-in has that role, on the same account.
        Begun again = begin();
        nextToken("ann-sub", List.of(CLIENT), Map.of("email", "ann@a.example", "groups", List.of("audit")), 3600);
        assertThat(callback(authorize(again), again.binding()).status()).isEqualTo(302);
        assertThat(f.count("SELECT count(*) FROM users WHERE email = 'ann@a.example'")).isEqualTo(1);
        String role = f.database.jdbi().withHandle(h -> h.createQuery("SELECT role FROM users WHERE email = 'ann@a.example'")
                .mapTo(String.class).one());
        assertThat(role).isEqualTo("auditor");
        assertThat(refusals()).isZero();
    }

    @Test
    void anExpiredTokenIsRefusedAndAudited() throws Exception {
        Begun begun = begin();
        // Expired two minutes ago: past the 60 s of clock skew allowed.
        nextToken("eve-sub", List.of(CLIENT), Map.of("email", "eve@a.example", "groups", List.of("staff")), -120);
        TestServer.Reply refused = callback(authorize(begun), begun.binding());
        assertThat(refused.status()).isEqualTo(401);
        assertThat(TenancyFixture.error(refused).get("code").asText()).isEqualTo("sign_in_refused");
        assertThat(refused.raw().headers().allValues("Set-Cookie"))
                .noneMatch(c -> c.startsWith(Authentication.SESSION_COOKIE + "="));
        assertThat(refusals()).isEqualTo(1);
        assertThat(lastRefusal()).containsIgnoringCase("expired");
        assertThat(f.count("SELECT count(*) FROM users WHERE email = 'eve@a.example'")).isZero();
    }

    @Test
    void aReplayedCodeIsRefusedAndAudited() throws Exception {
        Begun begun = begin();
        nextToken("ann-sub", List.of(CLIENT), Map.of("email", "ann@a.example", "groups", List.of("staff")), 3600);
        URI callback = authorize(begun);
        assertThat(callback(callback, begun.binding()).status()).isEqualTo(302);
        nextToken("ann-sub", List.of(CLIENT), Map.of("email", "ann@a.example", "groups", List.of("staff")), 3600);
        TestServer.Reply replayed = callback(callback, begun.binding());
        assertThat(replayed.status()).isEqualTo(401);
        assertThat(refusals()).isEqualTo(1);
        assertThat(lastRefusal()).contains("state");
        assertThat(f.audit("auth.sso", "SUCCESS")).hasSize(1);
    }

    @Test
    void aWrongStateOrAnotherBrowsersCallbackIsRefusedAndAudited() throws Exception {
        Begun begun = begin();
        URI callback = authorize(begun);
        String wrongState = callback.toString().replaceAll("state=[^&]+", "state=forged");
        assertThat(callback(URI.create(wrongState), begun.binding()).status()).isEqualTo(401);
        assertThat(refusals()).isEqualTo(1);
        // The right state, but sent by a browser that did not begin this sign-in (login CSRF).
        assertThat(callback(callback, null).status()).isEqualTo(401);
        assertThat(callback(callback, OidcRoutes.BINDING_COOKIE + "=another").status()).isEqualTo(401);
        assertThat(refusals()).isEqualTo(3);
        assertThat(f.audit("auth.sso", "SUCCESS")).isEmpty();
    }

    @Test
    void aPersonInNoMappedGroupOrOrganizationIsRefusedAndAudited() throws Exception {
        Begun begun = begin();
        nextToken("zed-sub", List.of(CLIENT), Map.of("email", "zed@a.example", "groups", List.of("visitors")), 3600);
        assertThat(callback(authorize(begun), begun.binding()).status()).isEqualTo(401);
        assertThat(lastRefusal()).contains("gives a role");
        Begun other = begin();
        nextToken("out-sub", List.of(CLIENT), Map.of("email", "out@elsewhere.example", "groups", List.of("staff")), 3600);
        assertThat(callback(authorize(other), other.binding()).status()).isEqualTo(401);
        assertThat(lastRefusal()).contains("no organization");
        assertThat(refusals()).isEqualTo(2);
    }

    @Test
    void passwordsSwitchedOffLeaveOnlyTheProviderWithTheChangeAudited() throws Exception {
        assertThat(f.login(TenancyFixture.OWNER_A, TenancyFixture.PASSWORD).status()).isEqualTo(200);
        TestServer.Reply off = f.a.send(f.request("/v1/admin/sign-in").header("Content-Type", "application/json")
                .PUT(TenancyFixture.json("{\"passwords\":false}")).build());
        assertThat(off.status()).as(off.raw().body()).isEqualTo(200);
        assertThat(off.body().get("passwords").asBoolean()).isFalse();
        assertThat(f.audit("sign_in.passwords.disable", "SUCCESS")).hasSize(1);
        TestServer.Reply refused = f.login(TenancyFixture.OWNER_A, TenancyFixture.PASSWORD);
        assertThat(refused.status()).isEqualTo(403);
        assertThat(f.audit("auth.login", "DENIED")).hasSize(1);
        // Organization B keeps its passwords.
        assertThat(f.login(TenancyFixture.OWNER_B, TenancyFixture.PASSWORD).status()).isEqualTo(200);
        Begun begun = begin();
        nextToken("ann-sub", List.of(CLIENT), Map.of("email", "ann@a.example", "groups", List.of("staff")), 3600);
        assertThat(callback(authorize(begun), begun.binding()).status()).isEqualTo(302);

        TestServer.Reply providers = f.anonymous(f.request("/auth/providers").GET().build());
        assertThat(providers.body().get("oidc").get("name").asText()).isEqualTo("Corp ID");
        assertThat(providers.body().get("oidc").get("end_session_url").asText())
                .isEqualTo(provider.endSessionEndpointUrl(ISSUER_ID).toString());
    }

    @Test
    void groupsThatMirrorTheProvidersFollowEachSignIn() throws Exception {
        String writers = f.a.post("/v1/admin/groups", "{\"name\":\"Writers\",\"idp_group\":\"writers\"}")
                .body().get("id").asText();
        String byHand = f.a.post("/v1/admin/groups", "{\"name\":\"By hand\"}").body().get("id").asText();
        Begun begun = begin();
        nextToken("ann-sub", List.of(CLIENT), Map.of("email", "ann@a.example", "groups", List.of("staff", "writers")), 3600);
        assertThat(callback(authorize(begun), begun.binding()).status()).isEqualTo(302);
        String ann = f.database.jdbi().withHandle(h -> h.createQuery("SELECT id FROM users WHERE email = 'ann@a.example'")
                .mapTo(String.class).one());
        assertThat(f.a.get("/v1/admin/groups/" + writers).body().get("members").get(0).asText()).isEqualTo(ann);
        assertThat(f.a.send(HttpRequest.newBuilder(f.a.uri("/v1/admin/groups/" + byHand + "/members/" + ann))
                .PUT(HttpRequest.BodyPublishers.noBody()).build()).status()).isEqualTo(200);

        Begun again = begin();
        nextToken("ann-sub", List.of(CLIENT), Map.of("email", "ann@a.example", "groups", List.of("staff")), 3600);
        assertThat(callback(authorize(again), again.binding()).status()).isEqualTo(302);
        assertThat(f.a.get("/v1/admin/groups/" + writers).body().get("members")).isEmpty();
        assertThat(f.a.get("/v1/admin/groups/" + byHand).body().get("members").get(0).asText()).isEqualTo(ann);
        assertThat(f.audit("groups.members.remove", "SUCCESS")).hasSize(1);
    }

    @Test
    void anEmailClaimThatIsNotAnAddressIsRefusedAndAudited() throws Exception {
        f.server.signInWith(new SingleSignOn(new OidcSettings(provider.issuerUrl(ISSUER_ID).uri(), CLIENT, "client secret",
                "Corp ID", "email", Map.of("*", "Alpha"), "groups", Map.of(), null), f.database, f.tenancy, f.clock));
        Begun begun = begin();
        nextToken("odd-sub", List.of(CLIENT), Map.of("email", "not an address"), 3600);
        assertThat(callback(authorize(begun), begun.binding()).status()).isEqualTo(401);
        assertThat(refusals()).isEqualTo(1);
        assertThat(lastRefusal()).isEqualTo("the email claim is not an address");
    }
}

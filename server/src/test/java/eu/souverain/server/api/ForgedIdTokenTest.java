package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.oauth2.sdk.token.BearerAccessToken;
import com.nimbusds.openid.connect.sdk.claims.AccessTokenHash;
import eu.souverain.server.sso.SingleSignOn;
import eu.souverain.server.store.TestDatabases;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ID tokens an attacker could put in the provider's answer, each refused and audited: signed by
 * another key, for another audience, from another issuer, without the nonce or with another,
 * with an at_hash of another access token. The first test proves the stand-in's honest token
 * passes, so that each refusal is the one check that test changes.
 */
class ForgedIdTokenTest {

    @TempDir
    Path dir;
    StandInProvider provider;
    TenancyFixture f;

    @BeforeEach
    void start() {
        provider = new StandInProvider();
        f = new TenancyFixture(TestDatabases.SQLITE, dir);
        f.server.signInWith(new SingleSignOn(OidcSignInTest.settings(provider.issuer()), f.database, f.tenancy, f.clock));
    }

    @AfterEach
    void stop() {
        f.close();
        provider.close();
    }

    /** Begins a sign-in, has the provider answer the token {@code forge} makes of honest claims, and calls back. */
    TestServer.Reply signIn(RSAKey signer, UnaryOperator<JWTClaimsSet.Builder> forge, String accessToken) throws Exception {
        TestServer.Reply login = f.anonymous(f.request(OidcRoutes.LOGIN_PATH).GET().build());
        URI authorization = URI.create(login.header("Location"));
        String binding = login.header("Set-Cookie");
        binding = binding.substring(0, binding.indexOf(';'));
        Map<String, String> query = new java.util.HashMap<>();
        for (String pair : authorization.getRawQuery().split("&")) {
            String[] kv = pair.split("=", 2);
            query.put(kv[0], java.net.URLDecoder.decode(kv[1], java.nio.charset.StandardCharsets.UTF_8));
        }
        long now = System.currentTimeMillis();
        JWTClaimsSet.Builder honest = new JWTClaimsSet.Builder().issuer(provider.issuer().toString())
                .audience(OidcSignInTest.CLIENT).subject("ann-sub").issueTime(new Date(now))
                .expirationTime(new Date(now + 300_000)).claim("nonce", query.get("nonce"))
                .claim("email", "ann@a.example").claim("groups", List.of("staff"))
                .claim("at_hash", AccessTokenHash.compute(new BearerAccessToken(accessToken), JWSAlgorithm.RS256, null)
                        .getValue());
        provider.answerWith(StandInProvider.sign(signer, forge.apply(honest).build()), accessToken);
        URI callback = URI.create(query.get("redirect_uri") + "?code=any-code&state="
                + java.net.URLEncoder.encode(query.get("state"), java.nio.charset.StandardCharsets.UTF_8));
        return f.anonymous(HttpRequest.newBuilder(callback).header("Cookie", binding).GET().build());
    }

    void assertRefused(TestServer.Reply reply, String reason) {
        assertThat(reply.status()).as(reply.raw().body()).isEqualTo(401);
        assertThat(TenancyFixture.error(reply).get("code").asText()).isEqualTo("sign_in_refused");
        assertThat(f.audit("auth.sso", "DENIED")).hasSize(1);
        assertThat((String) f.audit("auth.sso", "DENIED").getFirst().get("resource")).containsIgnoringCase(reason);
        assertThat(f.audit("auth.sso", "SUCCESS")).isEmpty();
        assertThat(f.count("SELECT count(*) FROM users WHERE email = 'ann@a.example'")).isZero();
    }

    @Test
    void theHonestTokenOfTheStandInSignsIn() throws Exception {
        TestServer.Reply reply = signIn(provider.key, claims -> claims, "access-1");
        assertThat(reply.status()).as(reply.raw().body()).isEqualTo(302);
        assertThat(f.audit("auth.sso", "SUCCESS")).hasSize(1);
    }

    @Test
    void aTokenSignedByAnotherKeyIsRefused() throws Exception {
        RSAKey other = new RSAKeyGenerator(2048).keyID("k1").generate();
        assertRefused(signIn(other, claims -> claims, "access-1"), "signature");
    }

    @Test
    void aTokenForAnotherAudienceIsRefused() throws Exception {
        assertRefused(signIn(provider.key, claims -> claims.audience("another-client"), "access-1"), "aud");
    }

    @Test
    void aTokenFromAnotherIssuerIsRefused() throws Exception {
        assertRefused(signIn(provider.key, claims -> claims.issuer("https://idp.evil.example"), "access-1"), "iss");
    }

    @Test
    void aTokenWithoutTheNonceIsRefused() throws Exception {
        assertRefused(signIn(provider.key, claims -> claims.claim("nonce", null), "access-1"), "nonce");
    }

    @Test
    void aTokenWithAnotherNonceIsRefused() throws Exception {
        assertRefused(signIn(provider.key, claims -> claims.claim("nonce", "replayed-nonce"), "access-1"), "nonce");
    }

    @Test
    void aTokenIssuedInTheFutureBeyondTheSkewIsRefused() throws Exception {
        long later = System.currentTimeMillis() + 600_000;
        assertRefused(signIn(provider.key, claims -> claims.issueTime(new Date(later))
                .expirationTime(new Date(later + 300_000)), "access-1"), "issue time");
    }

    @Test
    void anAccessTokenThatIsNotTheOneTheAtHashNamesIsRefused() throws Exception {
        String honestHash = AccessTokenHash.compute(new BearerAccessToken("access-1"), JWSAlgorithm.RS256, null).getValue();
        assertRefused(signIn(provider.key, claims -> claims.claim("at_hash", honestHash), "access-2"), "at_hash");
    }
}

package eu.souverain.server.api;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An OpenID provider of our own on loopback, real over HTTP (discovery, keys, token endpoint),
 * whose token endpoint answers whatever ID token the test crafted: how a forged, mis-addressed or
 * tampered token reaches the server as an attacker in the provider's place would send it.
 */
final class StandInProvider implements AutoCloseable {

    /** The key the provider publishes. */
    final RSAKey key;
    private final HttpServer http;
    private final AtomicReference<String> tokenAnswer = new AtomicReference<>();

    StandInProvider() {
        try {
            key = new RSAKeyGenerator(2048).keyID("k1").generate();
            http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        http.createContext("/.well-known/openid-configuration", exchange -> answer(exchange, """
                {"issuer":"%1$s","authorization_endpoint":"%1$s/authorize","token_endpoint":"%1$s/token",
                 "jwks_uri":"%1$s/jwks","end_session_endpoint":"%1$s/logout","response_types_supported":["code"],
                 "subject_types_supported":["public"],"id_token_signing_alg_values_supported":["RS256"]}"""
                .formatted(issuer())));
        http.createContext("/jwks", exchange -> answer(exchange, new JWKSet(key.toPublicJWK()).toString()));
        http.createContext("/token", exchange -> {
            exchange.getRequestBody().readAllBytes();
            answer(exchange, tokenAnswer.get());
        });
        http.start();
    }

    URI issuer() {
        return URI.create("http://127.0.0.1:" + http.getAddress().getPort());
    }

    /** The token endpoint's next answers: this ID token with this access token. */
    void answerWith(String idToken, String accessToken) {
        tokenAnswer.set("{\"access_token\":\"" + accessToken + "\",\"token_type\":\"Bearer\",\"expires_in\":300,"
                + "\"id_token\":\"" + idToken + "\"}");
    }

    /** {@code claims} signed with {@code signer}'s private key, under the published key's id. */
    static String sign(RSAKey signer, JWTClaimsSet claims) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k1").build(), claims);
            jwt.sign(new RSASSASigner(signer));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void answer(HttpExchange exchange, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    @Override
    public void close() {
        http.stop(0);
    }
}

package eu.souverain.server.api;

import static eu.souverain.server.api.TenancyFixture.PASSWORD;
import static eu.souverain.server.api.TenancyFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import eu.souverain.server.store.TestDatabases;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The web app's sign-in: cookie, CSRF token, sign-out, password change and throttling, on both databases. */
class WebSessionsTest {

    @TempDir
    Path dir;

    private static TestServer.Reply withSession(TenancyFixture f, String cookie, String csrf, HttpRequest.Builder request) {
        request.header("Cookie", cookie);
        if (csrf != null) {
            request.header("X-CSRF-Token", csrf);
        }
        return f.anonymous(request.build());
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void signingInSetsAStrictSecureHttpOnlyCookieAndAnswersTheCsrfToken(TestDatabases kind) {
        try (TenancyFixture f = new TenancyFixture(kind, dir)) {
            TestServer.Reply login = f.login("Owner@A.example", PASSWORD);
            assertThat(login.status()).as(login.raw().body()).isEqualTo(200);
            String setCookie = login.header("Set-Cookie");
            assertThat(setCookie).matches("souverain_session=[0-9A-Za-z]{43}; Path=/; Max-Age=43200; Secure; HttpOnly;"
                    + " SameSite=Strict");
            assertThat(login.header("Cache-Control")).isEqualTo("no-store");
            String csrf = login.body().get("csrf_token").asText();
            assertThat(csrf).hasSize(43);
            assertThat(login.body().get("user").get("email").asText()).isEqualTo(TenancyFixture.OWNER_A);
            assertThat(login.body().get("user").get("role").asText()).isEqualTo("owner");
            assertThat(login.body().get("expires_at").asLong())
                    .isEqualTo(f.clock.instant().plus(Duration.ofHours(12)).getEpochSecond());
            // The cookie's token is kept only as its hash.
            String token = TenancyFixture.cookie(login).substring("souverain_session=".length());
            assertThat(f.database.jdbi().withHandle(h -> h.createQuery("SELECT * FROM web_sessions").mapToMap().list())
                    .toString()).doesNotContain(token);

            String cookie = TenancyFixture.cookie(login);
            TestServer.Reply users = withSession(f, cookie, null, f.request("/v1/admin/users"));
            assertThat(users.status()).isEqualTo(200);
            TestServer.Reply session = withSession(f, cookie, null, f.request("/auth/session"));
            assertThat(session.body().get("csrf_token").asText()).isEqualTo(csrf);
            assertThat(f.audit("auth.login", "SUCCESS")).singleElement().satisfies(e -> {
                assertThat(e.get("actor")).isEqualTo(f.ownerA);
                assertThat(e.get("organization_id")).isEqualTo(f.orgA.id());
                assertThat(e.get("client_ip")).isEqualTo("127.0.0.1");
            });
            assertThat(f.tenancy.users().get(f.orgA.id(), f.ownerA, null).lastSignInAt()).isEqualTo(f.clock.instant());

            f.clock.advance(Duration.ofHours(12));
            assertThat(withSession(f, cookie, null, f.request("/v1/admin/users")).status()).isEqualTo(401);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void stateChangingRequestsOfASessionNeedItsCsrfToken(TestDatabases kind) {
        try (TenancyFixture f = new TenancyFixture(kind, dir)) {
            TestServer.Reply login = f.login(TenancyFixture.OWNER_A, PASSWORD);
            String cookie = TenancyFixture.cookie(login);
            String csrf = login.body().get("csrf_token").asText();
            String body = "{\"scopes\":[\"chat\"]}";
            int keys = f.count("SELECT count(*) FROM api_keys");
            for (String token : new String[] {null, "", csrf.substring(1), f.login(TenancyFixture.OWNER_A, PASSWORD)
                    .body().get("csrf_token").asText()}) {
                TestServer.Reply refused = withSession(f, cookie, token, f.request("/v1/admin/keys")
                        .header("Content-Type", "application/json").POST(json(body)));
                assertThat(refused.status()).isEqualTo(403);
                assertThat(refused.body().get("code").asText()).isEqualTo("csrf_token_invalid");
            }
            assertThat(f.count("SELECT count(*) FROM api_keys")).isEqualTo(keys);
            TestServer.Reply created = withSession(f, cookie, csrf, f.request("/v1/admin/keys")
                    .header("Content-Type", "application/json").POST(json(body)));
            assertThat(created.status()).isEqualTo(201);
            assertThat(created.body().get("created_by").asText()).isEqualTo(f.ownerA);
            String id = created.body().get("id").asText();
            assertThat(withSession(f, cookie, null, f.request("/v1/admin/keys/" + id).DELETE()).status()).isEqualTo(403);
            assertThat(f.tenancy.keys().get(f.orgA.id(), id, null).revokedAt()).isNull();
            assertThat(withSession(f, cookie, csrf, f.request("/v1/admin/keys/" + id).DELETE()).status()).isEqualTo(200);

            // Sign-out needs the token too, and then the cookie is worth nothing.
            assertThat(withSession(f, cookie, null, f.request("/auth/logout").POST(json(""))).status()).isEqualTo(403);
            TestServer.Reply out = withSession(f, cookie, csrf, f.request("/auth/logout").POST(json("")));
            assertThat(out.status()).isEqualTo(204);
            assertThat(out.header("Set-Cookie")).startsWith("souverain_session=; Path=/; Max-Age=0;");
            assertThat(withSession(f, cookie, null, f.request("/v1/admin/users")).status()).isEqualTo(401);
            assertThat(f.audit("auth.logout", "SUCCESS")).hasSize(1);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void failedSignInsAreAuditedAndThrottledPerAccount(TestDatabases kind) {
        try (TenancyFixture f = new TenancyFixture(kind, dir)) {
            for (int i = 0; i < 5; i++) {
                TestServer.Reply wrong = f.login(TenancyFixture.OWNER_A, "not the password " + i);
                assertThat(wrong.status()).isEqualTo(401);
                assertThat(wrong.body().get("message").asText()).isEqualTo("wrong email or password");
                assertThat(wrong.header("Set-Cookie")).isNull();
            }
            // From now on even the right password is refused, until the first failure leaves the window.
            TestServer.Reply throttled = f.login(TenancyFixture.OWNER_A, PASSWORD);
            assertThat(throttled.status()).isEqualTo(429);
            assertThat(throttled.body().get("code").asText()).isEqualTo("too_many_sign_in_attempts");
            assertThat(Long.parseLong(throttled.header("Retry-After"))).isEqualTo(15 * 60);
            assertThat(throttled.header("x-ratelimit-remaining-requests")).isEqualTo("0");
            assertThat(throttled.header("x-ratelimit-reset-requests")).isEqualTo(15 * 60 + "s");
            f.clock.advance(Duration.ofMinutes(10));
            assertThat(Long.parseLong(f.login(TenancyFixture.OWNER_A, PASSWORD).header("Retry-After"))).isEqualTo(5 * 60);
            // Another account from the same address is not held back by this one's failures.
            assertThat(f.login(TenancyFixture.OWNER_B, PASSWORD).status()).isEqualTo(200);
            f.clock.advance(Duration.ofMinutes(5));
            assertThat(f.login(TenancyFixture.OWNER_A, PASSWORD).status()).isEqualTo(200);

            assertThat(f.audit("auth.login", "FAILURE")).hasSize(5).allSatisfy(e -> {
                assertThat(e.get("actor")).isEqualTo(f.ownerA);
                assertThat(e.get("client_ip")).isEqualTo("127.0.0.1");
            });
            assertThat(f.audit("auth.login", "DENIED")).hasSize(2);
            assertThat(f.audit("auth.login", "SUCCESS")).hasSize(2);
            // An unknown account is refused alike, and audited under the name tried.
            TestServer.Reply unknown = f.login("nobody@a.example", PASSWORD);
            assertThat(unknown.status()).isEqualTo(401);
            assertThat(unknown.body().get("message").asText()).isEqualTo("wrong email or password");
            assertThat(f.audit("auth.login", "FAILURE").getLast()).satisfies(e -> {
                assertThat(e.get("actor")).isEqualTo("anonymous");
                assertThat(e.get("resource")).isEqualTo("nobody@a.example");
                assertThat(e.get("organization_id")).isNull();
            });
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void failedSignInsAreThrottledPerAddress(TestDatabases kind) {
        try (TenancyFixture f = new TenancyFixture(kind, dir)) {
            for (int i = 0; i < 20; i++) {
                assertThat(f.login("guess" + i + "@a.example", "password " + i).status()).isEqualTo(401);
            }
            TestServer.Reply throttled = f.login(TenancyFixture.OWNER_B, PASSWORD);
            assertThat(throttled.status()).isEqualTo(429);
            assertThat(throttled.header("Retry-After")).isEqualTo("900");
            f.clock.advance(Duration.ofMinutes(15));
            assertThat(f.login(TenancyFixture.OWNER_B, PASSWORD).status()).isEqualTo(200);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void changingThePasswordNeedsTheCurrentOneAndEndsTheOtherSessions(TestDatabases kind) {
        try (TenancyFixture f = new TenancyFixture(kind, dir)) {
            TestServer.Reply login = f.login(TenancyFixture.OWNER_A, PASSWORD);
            String cookie = TenancyFixture.cookie(login);
            String csrf = login.body().get("csrf_token").asText();
            String other = TenancyFixture.cookie(f.login(TenancyFixture.OWNER_A, PASSWORD));
            String next = "a much better passphrase";
            HttpRequest.Builder change = f.request("/auth/password").header("Content-Type", "application/json");

            assertThat(withSession(f, cookie, null, change.copy().POST(json("{\"current_password\":\"" + PASSWORD
                    + "\",\"new_password\":\"" + next + "\"}"))).status()).isEqualTo(403);
            TestServer.Reply wrong = withSession(f, cookie, csrf, change.copy().POST(json(
                    "{\"current_password\":\"nope nope nope\",\"new_password\":\"" + next + "\"}")));
            assertThat(wrong.status()).isEqualTo(403);
            assertThat(wrong.body().get("message").asText()).isEqualTo("the current password is wrong");
            TestServer.Reply tooShort = withSession(f, cookie, csrf, change.copy().POST(json(
                    "{\"current_password\":\"" + PASSWORD + "\",\"new_password\":\"short\"}")));
            assertThat(tooShort.status()).isEqualTo(400);
            assertThat(tooShort.body().get("param").asText()).isEqualTo("password");
            assertThat(f.login(TenancyFixture.OWNER_A, PASSWORD).status()).isEqualTo(200);

            TestServer.Reply changed = withSession(f, cookie, csrf, change.copy().POST(json(
                    "{\"current_password\":\"" + PASSWORD + "\",\"new_password\":\"" + next + "\"}")));
            assertThat(changed.status()).isEqualTo(204);
            assertThat(f.login(TenancyFixture.OWNER_A, PASSWORD).status()).isEqualTo(401);
            assertThat(f.login(TenancyFixture.OWNER_A, next).status()).isEqualTo(200);
            assertThat(withSession(f, cookie, null, f.request("/auth/session")).status()).isEqualTo(200);
            assertThat(withSession(f, other, null, f.request("/auth/session")).status()).isEqualTo(401);
            assertThat(f.audit("auth.password", "FAILURE")).hasSize(1);
            assertThat(f.audit("auth.password", "SUCCESS")).hasSize(1);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void badSignInRequestsAreRefusedClearlyAndMakeNoSession(TestDatabases kind) {
        try (TenancyFixture f = new TenancyFixture(kind, dir)) {
            String good = "{\"email\":\"" + TenancyFixture.OWNER_A + "\",\"password\":\"" + PASSWORD + "\"}";
            // A cross-site form can post text/plain without asking: only JSON is taken.
            TestServer.Reply form = f.anonymous(f.request("/auth/login").header("Content-Type", "text/plain")
                    .POST(json(good)).build());
            assertThat(form.status()).isEqualTo(415);
            assertRefused(f, "{\"email\":", 400, "invalid_json");
            assertRefused(f, "[1]", 422, "invalid_type");
            assertRefused(f, "{\"email\":\"" + TenancyFixture.OWNER_A + "\",\"password\":\"" + PASSWORD
                    + "\",\"remember\":true}", 422, "unknown_field");
            assertRefused(f, "{\"email\":5,\"password\":\"x\"}", 422, "invalid_type");
            assertRefused(f, "{\"password\":\"x\"}", 422, "missing_field");
            assertRefused(f, "{\"email\":\"' OR 1=1 --\",\"password\":\"x\"}", 400, "invalid_value");
            // Refused from its declared length, before it is read: the client waits for "100 Continue"
            // before sending the body, as clients do for big ones, so none of it is left unsent.
            TestServer.Reply tooLarge = f.anonymous(f.request("/auth/login").header("Content-Type", "application/json")
                    .expectContinue(true).POST(json("{\"email\":\"" + TenancyFixture.OWNER_A + "\",\"password\":\""
                            + "x".repeat(20_000) + "\"}")).build());
            assertThat(tooLarge.status()).isEqualTo(413);
            assertThat(tooLarge.body().get("code").asText()).isEqualTo("request_too_large");
            assertThat(f.count("SELECT count(*) FROM web_sessions")).isZero();
            assertThat(f.audit().stream().filter(e -> "auth.login".equals(e.get("action")))).isEmpty();
            assertThat(f.anonymous(f.request("/auth/session").build()).status()).isEqualTo(401);
            assertThat(f.anonymous(f.request("/auth/session").header("Cookie", "souverain_session=forged").build())
                    .status()).isEqualTo(401);
        }
    }

    private static void assertRefused(TenancyFixture f, String body, int status, String code) {
        TestServer.Reply reply = f.anonymous(f.request("/auth/login").header("Content-Type", "application/json")
                .POST(json(body)).build());
        assertThat(reply.status()).as(reply.raw().body()).isEqualTo(status);
        assertThat(reply.body().get("code").asText()).isEqualTo(code);
    }
}

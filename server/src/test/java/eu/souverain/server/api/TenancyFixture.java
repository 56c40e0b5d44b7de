package eu.souverain.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.store.Database;
import eu.souverain.server.store.TestDatabases;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.FirstStart;
import eu.souverain.server.tenancy.MovableClock;
import eu.souverain.server.tenancy.Organization;
import eu.souverain.server.tenancy.Role;
import eu.souverain.server.tenancy.Scope;
import eu.souverain.server.tenancy.Tenancy;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A real server on loopback over a fresh store of one kind, with a clock the test moves: the
 * installation's organization A (owner, first key) and a second organization B with its own
 * owner and admin key.
 */
final class TenancyFixture implements AutoCloseable {

    static final String OWNER_A = "owner@a.example";
    static final String OWNER_B = "owner@b.example";
    static final String PASSWORD = "correct horse battery staple";

    final MovableClock clock = new MovableClock();
    final Database database;
    final Tenancy tenancy;
    final ApiServer server;
    /** Requests with organization A's first key (every scope). */
    final TestServer a;
    /** Requests with organization B's admin key. */
    final TestServer b;
    final Organization orgA;
    final Organization orgB;
    final String ownerA;
    final String ownerB;

    TenancyFixture(TestDatabases kind, Path dir) {
        database = kind.open(dir);
        tenancy = new Tenancy(database, new AuditLog(database, clock), clock);
        FirstStart first = FirstStart.run(tenancy, "Alpha", OWNER_A, PASSWORD).orElseThrow();
        orgA = first.organization();
        ownerA = first.owner().id();
        server = ApiServer.start(new ApiServer.Settings("127.0.0.1", 0, 1 << 20, Duration.ZERO), tenancy);
        a = new TestServer(server, first.apiKey());
        orgB = tenancy.organizations().create("Beta", Actor.SYSTEM);
        ownerB = tenancy.users().create(orgB.id(), OWNER_B, Role.OWNER, PASSWORD, Actor.SYSTEM, true).user().id();
        b = new TestServer(server, key(orgB, Set.of(Scope.ADMIN, Scope.AUDIT, Scope.CHAT, Scope.EMBEDDINGS)));
    }

    /** A new key of {@code organization} with {@code scopes}, in its secret form. */
    String key(Organization organization, Set<Scope> scopes) {
        return tenancy.keys().create(organization.id(), "test", scopes, null, Actor.SYSTEM).secret();
    }

    /** Requests with a new key of organization A holding only {@code scopes}. */
    TestServer withScopes(Scope... scopes) {
        return new TestServer(server, key(orgA, Set.of(scopes)));
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(a.uri(path));
    }

    TestServer.Reply anonymous(HttpRequest request) {
        return a.sendAsIs(request);
    }

    static HttpRequest.BodyPublisher json(String body) {
        return HttpRequest.BodyPublishers.ofString(body);
    }

    /** POST /auth/login; the reply carries the cookie and the CSRF token on success. */
    TestServer.Reply login(String email, String password) {
        return a.sendAsIs(request("/auth/login").header("Content-Type", "application/json")
                .POST(json("{\"email\":\"" + email + "\",\"password\":\"" + password + "\"}")).build());
    }

    /** Requests as a new user of organization A with {@code role}, signed in: the session cookie and its CSRF token. */
    TestServer signedIn(String email, Role role) {
        tenancy.users().create(orgA.id(), email, role, PASSWORD, Actor.SYSTEM, true);
        return signedIn(email);
    }

    /** Requests as the user {@code email}, signed in with {@link #PASSWORD}. */
    TestServer signedIn(String email) {
        TestServer.Reply login = login(email, PASSWORD);
        if (login.status() != 200) {
            throw new AssertionError("signing in as " + email + " answered " + login.status() + ": " + login.body());
        }
        return TestServer.signedIn(server, cookie(login), login.body().get("csrf_token").asText());
    }

    /** The session cookie's value from a login reply's Set-Cookie. */
    static String cookie(TestServer.Reply login) {
        String set = login.header("Set-Cookie");
        return set.substring(0, set.indexOf(';'));
    }

    /** The audit entries, oldest first, as (organization, actor, action, resource, outcome). */
    List<Map<String, Object>> audit() {
        return database.jdbi().withHandle(h -> h.createQuery(
                        "SELECT organization_id, actor, action, resource, client_ip, outcome FROM audit_entries ORDER BY seq")
                .mapToMap().list());
    }

    /** The audit entries with {@code outcome} and {@code action}. */
    List<Map<String, Object>> audit(String action, String outcome) {
        return audit().stream().filter(e -> action.equals(e.get("action")) && outcome.equals(e.get("outcome"))).toList();
    }

    int count(String sql) {
        return database.jdbi().withHandle(h -> h.createQuery(sql).mapTo(Integer.class).one());
    }

    static JsonNode error(TestServer.Reply reply) {
        return reply.body().get("error");
    }

    @Override
    public void close() {
        server.close();
        database.close();
    }
}

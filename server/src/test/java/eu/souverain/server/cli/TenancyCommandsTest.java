package eu.souverain.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.store.Database;
import eu.souverain.server.store.TestPostgres;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.FirstStart;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.Scope;
import eu.souverain.server.tenancy.Tenancy;
import eu.souverain.server.tenancy.TenancyException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code orgs create}, {@code users create}, {@code keys create|revoke} on the store, SQLite by
 * {@code --data} or PostgreSQL by {@code --db}, while a server holds the same store open.
 */
class TenancyCommandsTest {

    @TempDir
    Path dir;

    enum Store {
        SQLITE, POSTGRESQL
    }

    private record Result(int exit, String out, String err) {
    }

    /** The store's flags, and the store opened as a running server would hold it. */
    private final class Opened implements AutoCloseable {
        final List<String> flags;
        final Database database;
        final Tenancy tenancy;

        Opened(Store store) throws Exception {
            if (store == Store.SQLITE) {
                flags = List.of("--data", dir.toString());
                database = Database.sqlite(dir.resolve(Database.SQLITE_FILE));
            } else {
                String url = TestPostgres.freshDatabaseUrl();
                flags = List.of("--db", url);
                database = Database.postgresql(url);
            }
            tenancy = new Tenancy(database, new AuditLog(database, Clock.systemUTC()), Clock.systemUTC());
        }

        Result run(String... args) {
            List<String> all = new ArrayList<>(List.of(args));
            all.addAll(flags);
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int exit = Main.run(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
            return new Result(exit, out.toString(), err.toString());
        }

        @Override
        public void close() {
            database.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void createsOrganizationsUsersAndKeysAndRevokesKeysBesideARunningServer(Store store) throws Exception {
        try (Opened s = new Opened(store)) {
            Result org = s.run("orgs", "create", "Acme Rail");
            assertThat(org.exit()).as(org.err()).isZero();
            String orgId = org.out().strip();
            assertThat(org.out()).matches("org_[0-9A-Za-z]{17}\n");
            assertThat(s.tenancy.organizations().find("Acme Rail").id()).isEqualTo(orgId);

            Result user = s.run("users", "create", "--org", "Acme Rail", "--email", "ops@acme.example", "--role", "admin");
            assertThat(user.exit()).as(user.err()).isZero();
            assertThat(user.out()).matches("[0-9A-Za-z]{22}\n");
            assertThat(user.err()).contains("ops@acme.example").contains("shown this once");
            Principal ops = s.tenancy.sessions().login("ops@acme.example", user.out().strip(), null).session().principal();
            assertThat(ops.role()).hasToString("ADMIN");

            Instant before = Instant.now();
            Result key = s.run("keys", "create", "--org", orgId, "--scopes", "chat,embeddings", "--expires", "30d");
            assertThat(key.exit()).as(key.err()).isZero();
            // The key and nothing else: a script can take stdout as it is.
            assertThat(key.out()).matches("sk-souv-key_[0-9A-Za-z]{17}_[0-9A-Za-z]{43}\n");
            Principal principal = s.tenancy.keys().authenticate(key.out().strip());
            assertThat(principal.organizationId()).isEqualTo(orgId);
            assertThat(principal.scopes()).containsExactlyInAnyOrder(Scope.CHAT, Scope.EMBEDDINGS);
            Instant expires = s.tenancy.keys().get(orgId, principal.actorId(), Actor.SYSTEM).expiresAt();
            assertThat(expires).isBetween(before.plus(Duration.ofDays(30)), Instant.now().plus(Duration.ofDays(30)));

            Result revoked = s.run("keys", "revoke", principal.actorId());
            assertThat(revoked.exit()).as(revoked.err()).isZero();
            assertThat(revoked.out()).isEmpty();
            assertThatThrownBy(() -> s.tenancy.keys().authenticate(key.out().strip()))
                    .isInstanceOf(TenancyException.class).hasMessageContaining("was revoked");

            List<String> actions = s.database.jdbi().withHandle(h -> h.createQuery(
                    "SELECT action || ' ' || actor FROM audit_entries ORDER BY seq").mapTo(String.class).list());
            String cli = "cli:" + System.getProperty("user.name");
            assertThat(actions).containsExactly("orgs.create " + cli, "users.create " + cli, "auth.login " + ops.actorId(),
                    "keys.create " + cli, "keys.revoke " + cli, "auth.key " + principal.actorId());
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void usersCreateTakesThePasswordFromStdin(Store store) throws Exception {
        try (Opened s = new Opened(store)) {
            s.run("orgs", "create", "Acme");
            InputStream stdin = System.in;
            Result user;
            try {
                System.setIn(new ByteArrayInputStream("a long enough secret\n".getBytes(StandardCharsets.UTF_8)));
                user = s.run("users", "create", "--org", "Acme", "--email", "x@acme.example", "--role", "member",
                        "--password-stdin");
            } finally {
                System.setIn(stdin);
            }
            assertThat(user.exit()).as(user.err()).isZero();
            assertThat(user.out()).isEmpty();
            assertThat(s.tenancy.sessions().login("x@acme.example", "a long enough secret", null)).isNotNull();
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void refusesBadInputWithOneLineAndChangesNothing(Store store) throws Exception {
        try (Opened s = new Opened(store)) {
            s.run("orgs", "create", "Acme");
            String[][] refused = {
                    {"orgs", "create", "Acme"},
                    {"orgs", "create", "   "},
                    {"orgs", "create", "x".repeat(101)},
                    {"users", "create", "--org", "Nope", "--email", "a@b.example", "--role", "member"},
                    {"users", "create", "--org", "Acme", "--email", "a b@c", "--role", "member"},
                    {"users", "create", "--org", "Acme", "--email", "a@b.example", "--role", "root"},
                    {"keys", "create", "--org", "Acme", "--scopes", "chat,root"},
                    {"keys", "create", "--org", "Acme", "--scopes", ""},
                    {"keys", "create", "--org", "Acme", "--expires", "forever"},
                    {"keys", "create", "--org", "'; DROP TABLE organizations; --"},
                    {"keys", "revoke", "key_00000000000000000"},
            };
            int audit = s.database.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM audit_entries")
                    .mapTo(Integer.class).one());
            for (String[] args : refused) {
                Result result = s.run(args);
                assertThat(result.exit()).as(String.join(" ", args)).isEqualTo(1);
                assertThat(result.out()).isEmpty();
                assertThat(result.err()).startsWith("error: ").hasLineCount(1);
            }
            assertThat(s.run("orgs", "create", "Acme").err()).contains("an organization named 'Acme' exists already");
            assertThat(s.run("keys", "create", "--org", "Acme", "--expires", "forever").err())
                    .contains("e.g. 30d, 12h or 90m");
            int after = s.database.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM audit_entries")
                    .mapTo(Integer.class).one());
            assertThat(after).isEqualTo(audit);
            assertThat(s.tenancy.organizations().list(new Principal(s.tenancy.organizations().find("Acme").id(), "x",
                    null, Set.of()))).hasSize(1);

            // A key given where its id is expected is refused without echoing the secret.
            String key = s.run("keys", "create", "--org", "Acme").out().strip();
            Result echoed = s.run("keys", "revoke", key);
            assertThat(echoed.exit()).isEqualTo(1);
            assertThat(echoed.err()).contains("the key's id").doesNotContain(key.substring(key.lastIndexOf('_') + 1));
            assertThat(s.tenancy.keys().authenticate(key)).isNotNull();
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void withoutOrgTheOnlyOrganizationIsTakenAndSeveralAreNamed(Store store) throws Exception {
        try (Opened s = new Opened(store)) {
            Result none = s.run("keys", "create", "--scopes", "chat");
            assertThat(none.exit()).isEqualTo(1);
            assertThat(none.err()).hasLineCount(1).contains("no organization yet").contains("orgs create");

            String acme = s.run("orgs", "create", "Acme").out().strip();
            Result key = s.run("keys", "create", "--scopes", "chat");
            assertThat(key.exit()).as(key.err()).isZero();
            assertThat(s.tenancy.keys().authenticate(key.out().strip()).organizationId()).isEqualTo(acme);
            Result user = s.run("users", "create", "--email", "solo@acme.example", "--role", "member");
            assertThat(user.exit()).as(user.err()).isZero();
            assertThat(user.err()).contains(acme);

            String globex = s.run("orgs", "create", "Globex").out().strip();
            for (String[] args : new String[][] {{"keys", "create"},
                    {"users", "create", "--email", "two@acme.example", "--role", "member"}}) {
                Result several = s.run(args);
                assertThat(several.exit()).as(String.join(" ", args)).isEqualTo(1);
                assertThat(several.out()).isEmpty();
                assertThat(several.err()).hasLineCount(1).contains("--org").contains("'Acme' (" + acme + ")")
                        .contains("'Globex' (" + globex + ")");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void theFirstStartHappensOnceAndTakesTheGivenPassword(Store store) throws Exception {
        try (Opened s = new Opened(store)) {
            // An organization the command line made before the first start is taken as it is.
            s.run("orgs", "create", "default");
            FirstStart first = FirstStart.run(s.tenancy, "default", "owner@localhost", null).orElseThrow();
            assertThat(first.organization().id()).isEqualTo(s.tenancy.organizations().find("default").id());
            assertThat(first.ownerPassword()).matches("[0-9A-Za-z]{22}");
            assertThat(first.announcement("http://127.0.0.1:8080/v1")).contains(first.ownerPassword())
                    .contains(first.apiKey()).contains("owner@localhost");
            assertThat(s.tenancy.sessions().login("owner@localhost", first.ownerPassword(), null)).isNotNull();
            assertThat(s.tenancy.keys().authenticate(first.apiKey()).scopes()).containsExactlyInAnyOrder(Scope.values());
            assertThat(FirstStart.run(s.tenancy, "default", "owner@localhost", "another password")).isEmpty();
            assertThat(FirstStart.run(s.tenancy, "other", "other@localhost", null)).isEmpty();
            assertThat(s.tenancy.installationOrganization()).contains(first.organization().id());
            String stored = s.database.jdbi().withHandle(h -> h.createQuery("SELECT password_hash FROM users")
                    .mapTo(String.class).one());
            assertThat(stored).startsWith("$argon2id$v=19$m=19456,t=2,p=1$").doesNotContain(first.ownerPassword());
        }
        try (Opened s = new Opened(store)) {
            if (store == Store.SQLITE) {
                // The same file again: made already.
                assertThat(FirstStart.run(s.tenancy, "default", "owner@localhost", null)).isEmpty();
            } else {
                FirstStart given = FirstStart.run(s.tenancy, "default", "owner@localhost", "the given password")
                        .orElseThrow();
                assertThat(given.ownerPassword()).isNull();
                assertThat(given.announcement("http://h/v1")).contains("(from SOUVERAIN_OWNER_PASSWORD)")
                        .doesNotContain("the given password");
                assertThat(s.tenancy.sessions().login("owner@localhost", "the given password", null)).isNotNull();
            }
        }
        assertThatThrownBy(() -> {
            try (Opened s = new Opened(Store.POSTGRESQL)) {
                FirstStart.run(s.tenancy, "default", "owner@localhost", "short");
            }
        }).isInstanceOf(TenancyException.class).hasMessageContaining("at least 12 characters");
    }
}

package eu.souverain.server.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.store.Database;
import eu.souverain.server.store.TestDatabases;
import eu.souverain.server.store.TestPostgres;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.Tenancy;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AdmissionTest {

    private static final Instant NOON = Instant.parse("2026-12-06T12:00:10Z");

    @TempDir
    Path dir;

    private static LimitSettings settings(Database database) {
        return new LimitSettings(database, new AuditLog(database, Clock.systemUTC()));
    }

    private static String organization(Database database) {
        return new Tenancy(database, new AuditLog(database, Clock.systemUTC()), Clock.systemUTC()).organizations()
                .create("acme", Actor.SYSTEM).id();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aBurstOf50AgainstTenAMinuteLetsExactlyTenThrough(TestDatabases kind) throws Exception {
        try (Database database = kind.open(dir)) {
            String org = organization(database);
            Subject key = new Subject(Subject.Kind.KEY, "key_burst");
            settings(database).put(org, key, new Limits(10L, null, null, null, 80), Actor.SYSTEM, NOON);
            assertThat(burst(List.of(new Admission(database)), org, List.of(new Subject(Subject.Kind.ORGANIZATION, org), key)))
                    .isEqualTo(10);
        }
    }

    /** Two server processes on one PostgreSQL: two pools, each with its own connections, one count. */
    @Test
    void twoProcessesOnOnePostgresqlShareTheCount() throws Exception {
        String url = TestPostgres.freshDatabaseUrl();
        try (Database first = Database.postgresql(url); Database second = Database.postgresql(url)) {
            String org = organization(first);
            settings(first).put(org, new Subject(Subject.Kind.ORGANIZATION, org),
                    new Limits(10L, null, null, null, 80), Actor.SYSTEM, NOON);
            assertThat(burst(List.of(new Admission(first), new Admission(second)), org,
                    List.of(new Subject(Subject.Kind.ORGANIZATION, org)))).isEqualTo(10);
        }
    }

    private static int burst(List<Admission> admissions, String org, List<Subject> subjects) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        List<Callable<Boolean>> calls = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            Admission admission = admissions.get(i % admissions.size());
            calls.add(() -> {
                start.await();
                try {
                    admission.admit(org, subjects, NOON);
                    return true;
                } catch (LimitExceeded refused) {
                    assertThat(refused.limit()).isEqualTo("requests_per_minute");
                    assertThat(refused.retryAfterSeconds()).isBetween(1L, 60L);
                    return false;
                }
            });
        }
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Boolean>> results = new ArrayList<>();
            for (Callable<Boolean> call : calls) {
                results.add(pool.submit(call));
            }
            start.countDown();
            int through = 0;
            for (Future<Boolean> result : results) {
                through += result.get() ? 1 : 0;
            }
            return through;
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void countsSurviveARestartAndResetWithTheMinute(TestDatabases kind) throws Exception {
        Subject user = new Subject(Subject.Kind.USER, "usr_restart");
        String org;
        try (Database database = kind.open(dir)) {
            org = organization(database);
            settings(database).put(org, user, new Limits(2L, null, null, null, 80), Actor.SYSTEM, NOON);
            Admission admission = new Admission(database);
            Admission.Granted first = admission.admit(org, List.of(user), NOON);
            assertThat(first.headers()).containsEntry("x-ratelimit-limit-requests", "2")
                    .containsEntry("x-ratelimit-remaining-requests", "1").containsEntry("x-ratelimit-reset-requests", "50.0s");
            admission.admit(org, List.of(user), NOON);
            assertThatThrownBy(() -> admission.admit(org, List.of(user), NOON)).isInstanceOf(LimitExceeded.class)
                    .hasMessageContaining("user usr_restart reached its requests_per_minute limit of 2")
                    .satisfies(e -> assertThat(((LimitExceeded) e).retryAfterSeconds()).isEqualTo(50));
            if (kind == TestDatabases.SQLITE) {
                database.close();
                try (Database reopened = Database.sqlite(dir.resolve(Database.SQLITE_FILE))) {
                    assertThatThrownBy(() -> new Admission(reopened).admit(org, List.of(user), NOON.plusSeconds(5)))
                            .isInstanceOf(LimitExceeded.class);
                    assertThat(new Admission(reopened).admit(org, List.of(user), NOON.plusSeconds(60)).headers())
                            .containsEntry("x-ratelimit-remaining-requests", "1");
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void tokensPerMinuteRefuseOnceSpentAndARefusalCountsNothing(TestDatabases kind) throws Exception {
        try (Database database = kind.open(dir)) {
            String org = organization(database);
            Subject orgSubject = new Subject(Subject.Kind.ORGANIZATION, org);
            Subject key = new Subject(Subject.Kind.KEY, "key_tokens");
            LimitSettings settings = settings(database);
            settings.put(org, orgSubject, new Limits(100L, null, null, null, 80), Actor.SYSTEM, NOON);
            settings.put(org, key, new Limits(null, 1000L, null, null, 80), Actor.SYSTEM, NOON);
            Admission admission = new Admission(database);
            List<Subject> subjects = List.of(orgSubject, key);

            admission.admit(org, subjects, NOON);
            admission.charge(org, subjects, 900, NOON);
            assertThat(admission.admit(org, subjects, NOON).headers())
                    .containsEntry("x-ratelimit-remaining-requests", "98")
                    .containsEntry("x-ratelimit-limit-tokens", "1000")
                    .containsEntry("x-ratelimit-remaining-tokens", "100");
            admission.charge(org, subjects, 100, NOON);
            // The key's tokens are spent: refused, and the organization's request counter is rolled back with it.
            assertThatThrownBy(() -> admission.admit(org, subjects, NOON)).isInstanceOf(LimitExceeded.class)
                    .satisfies(e -> {
                        LimitExceeded refused = (LimitExceeded) e;
                        assertThat(refused.limit()).isEqualTo("tokens_per_minute");
                        assertThat(refused.subject()).isEqualTo(key);
                        assertThat(refused.headers()).containsEntry("x-ratelimit-remaining-tokens", "0")
                                .containsEntry("x-ratelimit-remaining-requests", "98");
                    });
            settings.remove(org, key, Actor.SYSTEM);
            assertThat(admission.admit(org, subjects, NOON).headers())
                    .containsEntry("x-ratelimit-remaining-requests", "97");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aDailyBudgetWarnsAtItsSoftThresholdRefusesOnceSpentAndSaysWhatIsLeft(TestDatabases kind) throws Exception {
        try (Database database = kind.open(dir)) {
            String org = organization(database);
            Subject user = new Subject(Subject.Kind.USER, "usr_budget");
            settings(database).put(org, user, new Limits(null, null, 1000L, 1500L, 75), Actor.SYSTEM, NOON);
            Admission admission = new Admission(database);

            Admission.Granted first = admission.admit(org, List.of(user), NOON);
            assertThat(first.tokensLeft()).isEqualTo(1000);
            assertThat(first.warnings()).isEmpty();
            admission.charge(org, List.of(user), 850, NOON);
            Admission.Granted warned = admission.admit(org, List.of(user), NOON.plusSeconds(3600));
            assertThat(warned.tokensLeft()).isEqualTo(150);
            assertThat(warned.warnings()).singleElement().asString().contains("850 of its tokens_per_day budget of 1000");
            admission.charge(org, List.of(user), 150, NOON.plusSeconds(3600));
            assertThatThrownBy(() -> admission.admit(org, List.of(user), NOON.plusSeconds(7200)))
                    .isInstanceOf(LimitExceeded.class).hasMessageContaining("tokens_per_day")
                    .satisfies(e -> assertThat(((LimitExceeded) e).retryAfterSeconds()).isEqualTo(12 * 3600 - 7210));
            // The next UTC day has its own budget; the month's still counts the first day's 1000.
            Admission.Granted tomorrow = admission.admit(org, List.of(user), NOON.plusSeconds(86_400));
            assertThat(tomorrow.tokensLeft()).isEqualTo(500);
        }
    }
}

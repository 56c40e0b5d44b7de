package eu.souverain.server.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.store.Database;
import eu.souverain.server.store.TestDatabases;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.Tenancy;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class UsageRecordsTest {

    @TempDir
    Path dir;

    private static UsageRecord call(String id, String org, String user, String key, String model, long prompt,
                                    long completion, String at) {
        return new UsageRecord(id, org, user, key, user == null ? null : "grp_" + user, "chat.completions", model,
                "local", "FR", prompt, 2, completion, 40, "completed", model.equals("m3") ? null : (prompt + completion) * 0.001,
                Instant.parse(at).toEpochMilli());
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void totalsByDayAndMonthGroupedAndFilteredAddUpToTheRecords(TestDatabases kind) throws Exception {
        try (Database database = kind.open(dir)) {
            String org = new Tenancy(database, new AuditLog(database, Clock.systemUTC()), Clock.systemUTC())
                    .organizations().create("acme", Actor.SYSTEM).id();
            String other = new Tenancy(database, new AuditLog(database, Clock.systemUTC()), Clock.systemUTC())
                    .organizations().create("other", Actor.SYSTEM).id();
            UsageRecords usage = new UsageRecords(database);
            usage.record(call("c1", org, "usr_a", null, "m1", 10, 5, "2026-11-30T23:59:59Z"));
            usage.record(call("c2", org, "usr_a", null, "m2", 20, 7, "2026-12-01T00:00:00Z"));
            usage.record(call("c3", org, null, "key_b", "m1", 30, 11, "2026-12-01T10:00:00Z"));
            usage.record(call("c4", other, "usr_x", null, "m1", 1000, 1000, "2026-12-01T10:00:00Z"));
            Instant from = Instant.parse("2026-11-01T00:00:00Z");
            Instant to = Instant.parse("2027-01-01T00:00:00Z");

            assertThat(usage.totals(org, from, to, UsageRecords.Period.DAY, null, null)).containsExactly(
                    new UsageRecords.Total("2026-11-30", null, 1, 10, 2, 5, 0.015),
                    new UsageRecords.Total("2026-12-01", null, 2, 50, 4, 18, 0.068));
            assertThat(usage.totals(org, from, to, UsageRecords.Period.MONTH, UsageRecords.GroupBy.USER, null))
                    .extracting(UsageRecords.Total::period, UsageRecords.Total::group, UsageRecords.Total::completionTokens)
                    .containsExactly(
                            tuple("2026-11", "usr_a", 5L),
                            tuple("2026-12", "key_b", 11L),
                            tuple("2026-12", "usr_a", 7L));
            assertThat(usage.totals(org, from, to, UsageRecords.Period.MONTH, UsageRecords.GroupBy.MODEL, "usr_a"))
                    .extracting(UsageRecords.Total::group).containsExactly("m1", "m2");
            assertThat(usage.totals(org, from, to, UsageRecords.Period.MONTH, UsageRecords.GroupBy.GROUP, null))
                    .extracting(UsageRecords.Total::period, UsageRecords.Total::group, UsageRecords.Total::requests)
                    .containsExactly(tuple("2026-11", "grp_usr_a", 1L), tuple("2026-12", "", 1L),
                            tuple("2026-12", "grp_usr_a", 1L));
            // A backend without an energy figure has no estimate: null, not zero.
            usage.record(call("c5", org, "usr_a", null, "m3", 5, 5, "2026-10-10T10:00:00Z"));
            assertThat(usage.totals(org, Instant.parse("2026-10-01T00:00:00Z"), from, UsageRecords.Period.MONTH, null,
                    null)).containsExactly(new UsageRecords.Total("2026-10", null, 1, 5, 2, 5, null));
            List<UsageRecords.Total> december = usage.totals(org, Instant.parse("2026-12-01T00:00:00Z"), to,
                    UsageRecords.Period.MONTH, null, null);
            assertThat(UsageRecords.csv(december)).isEqualTo("""
                    period,group,requests,prompt_tokens,cached_tokens,completion_tokens,energy_wh_estimate
                    2026-12,,2,50,4,18,0.068000
                    """);
        }
    }

    @ParameterizedTest
    @EnumSource(value = TestDatabases.class, names = "SQLITE")
    void aGroupThatLooksLikeAFormulaIsQuotedInCsv(TestDatabases kind) {
        assertThat(UsageRecords.csv(List.of(new UsageRecords.Total("2026-12", "=HYPERLINK(\"x\")", 1, 1, 0, 1, 0.0),
                new UsageRecords.Total("2026-12", "b", 1, 1, 0, 1, null))))
                .endsWith("2026-12,\"'=HYPERLINK(\"\"x\"\")\",1,1,0,1,0.000000\n2026-12,b,1,1,0,1,\n");
    }
}

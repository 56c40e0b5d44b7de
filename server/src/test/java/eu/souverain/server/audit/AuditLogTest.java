package eu.souverain.server.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import eu.souverain.server.audit.AuditEvent.Outcome;
import eu.souverain.server.store.Database;
import eu.souverain.server.store.TestDatabases;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AuditLogTest {

    @TempDir
    Path dir;

    private record Row(long seq, long at, String org, String actor, String action, String resource, String backend,
                       String location, String ip, String outcome, String previous, String hash) {
    }

    private static List<Row> rows(Database db) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT * FROM audit_entries ORDER BY seq")
                .map((rs, ctx) -> new Row(rs.getLong("seq"), rs.getLong("at"), rs.getString("organization_id"),
                        rs.getString("actor"), rs.getString("action"), rs.getString("resource"),
                        rs.getString("backend"), rs.getString("backend_location"), rs.getString("client_ip"),
                        rs.getString("outcome"), rs.getString("previous_hash"), rs.getString("hash")))
                .list());
    }

    /** Appends from 8 threads at once still make one unbroken chain, numbered without gaps. */
    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void concurrentAppendsFormOneChain(TestDatabases kind) throws Exception {
        try (Database db = kind.open(dir); ExecutorService pool = Executors.newFixedThreadPool(8)) {
            AuditLog log = new AuditLog(db, Clock.systemUTC());
            List<Future<Long>> appended = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                String resource = "r" + i;
                appended.add(pool.submit(() -> log.append(AuditEvent.of("org_a", "key_1", "model.call", resource,
                        "127.0.0.1", Outcome.SUCCESS))));
            }
            for (Future<Long> f : appended) {
                f.get();
            }
            List<Row> rows = rows(db);
            assertThat(rows).hasSize(40);
            String previous = AuditLog.GENESIS;
            for (int i = 0; i < rows.size(); i++) {
                Row r = rows.get(i);
                assertThat(r.seq()).isEqualTo(i + 1);
                assertThat(r.previous()).isEqualTo(previous);
                AuditEvent event = new AuditEvent(r.org(), r.actor(), r.action(), r.resource(), r.backend(),
                        r.location(), r.ip(), Outcome.valueOf(r.outcome()));
                assertThat(AuditLog.hash(r.seq(), r.at(), event, r.previous())).isEqualTo(r.hash());
                previous = r.hash();
            }
        }
    }

    /** An entry commits with the change it records, or neither does. */
    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void entryRollsBackWithItsChange(TestDatabases kind) {
        try (Database db = kind.open(dir)) {
            AuditLog log = new AuditLog(db, Clock.systemUTC());
            assertThatThrownBy(() -> db.useTransaction(h -> {
                log.append(h, AuditEvent.of("org_a", "user_1", "orgs.create", "org_b", null, Outcome.SUCCESS));
                h.execute("INSERT INTO organizations VALUES ('org_b', 'B', 1)");
                h.execute("INSERT INTO organizations VALUES ('org_c', 'B', 1)");
            })).hasMessageContaining("organizations");
            assertThat(rows(db)).isEmpty();
            assertThatThrownBy(() -> db.jdbi().useHandle(h -> log.append(h,
                    AuditEvent.of(null, "system", "x", null, null, Outcome.SUCCESS))))
                    .hasMessageContaining("inside the transaction");
        }
    }

    @org.junit.jupiter.api.Test
    void hashCoversEveryFieldAndTellsNullFromEmpty() {
        AuditEvent base = new AuditEvent("o", "a", "act", "r", "b", "l", "ip", Outcome.SUCCESS);
        String h = AuditLog.hash(1, 2, base, AuditLog.GENESIS);
        assertThat(AuditLog.hash(1, 2, new AuditEvent("o", "a", "act", "r", "b", "l", "ip", Outcome.DENIED),
                AuditLog.GENESIS)).isNotEqualTo(h);
        assertThat(AuditLog.hash(1, 2, new AuditEvent("o", "a", "act", "", "b", "l", "ip", Outcome.SUCCESS),
                AuditLog.GENESIS)).isNotEqualTo(AuditLog.hash(1, 2,
                new AuditEvent("o", "a", "act", null, "b", "l", "ip", Outcome.SUCCESS), AuditLog.GENESIS));
        assertThat(AuditLog.hash(1, 2, new AuditEvent("o", "a", "actr", "", "b", "l", "ip", Outcome.SUCCESS),
                AuditLog.GENESIS)).isNotEqualTo(AuditLog.hash(1, 2,
                new AuditEvent("o", "a", "act", "r", "b", "l", "ip", Outcome.SUCCESS), AuditLog.GENESIS));
        assertThat(AuditLog.hash(2, 2, base, AuditLog.GENESIS)).isNotEqualTo(h);
        assertThat(AuditLog.hash(1, 3, base, AuditLog.GENESIS)).isNotEqualTo(h);
    }
}

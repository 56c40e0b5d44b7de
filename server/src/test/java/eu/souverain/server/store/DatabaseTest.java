package eu.souverain.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DatabaseTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void opensMigratedAndCommitsOrRollsBackWholeTransactions(TestDatabases kind) {
        try (Database db = kind.open(dir)) {
            assertThat(db.dialect().name()).isEqualTo(kind.name());
            db.useTransaction(h -> h.execute("INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)",
                    "org_a", "Alpha", 1L));
            assertThatThrownBy(() -> db.useTransaction(h -> {
                h.execute("INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)", "org_b", "Beta", 2L);
                h.execute("INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)", "org_c", "Alpha", 3L);
            })).hasMessageContaining("organizations");
            List<String> ids = db.jdbi().withHandle(h -> h.createQuery("SELECT id FROM organizations ORDER BY id")
                    .mapTo(String.class).list());
            assertThat(ids).containsExactly("org_a");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void reopeningKeepsDataAndMigratesNothingTwice(TestDatabases kind) throws Exception {
        if (kind == TestDatabases.SQLITE) {
            int migrations;
            try (Database db = kind.open(dir)) {
                db.useTransaction(h -> h.execute("INSERT INTO organizations VALUES ('org_a', 'Alpha', 1)"));
                migrations = count(db, "SELECT count(*) FROM flyway_schema_history");
            }
            try (Database db = kind.open(dir)) {
                assertThat(count(db, "SELECT count(*) FROM organizations")).isOne();
                assertThat(count(db, "SELECT count(*) FROM flyway_schema_history")).isEqualTo(migrations).isPositive();
            }
        } else {
            String url = TestPostgres.freshDatabaseUrl();
            int migrations;
            try (Database db = Database.postgresql(url)) {
                db.useTransaction(h -> h.execute("INSERT INTO organizations VALUES ('org_a', 'Alpha', 1)"));
                migrations = count(db, "SELECT count(*) FROM flyway_schema_history");
            }
            try (Database db = Database.postgresql(url)) {
                assertThat(count(db, "SELECT count(*) FROM organizations")).isOne();
                assertThat(count(db, "SELECT count(*) FROM flyway_schema_history")).isEqualTo(migrations).isPositive();
            }
        }
    }

    private static int count(Database db, String sql) {
        return db.jdbi().withHandle(h -> h.createQuery(sql).mapTo(Integer.class).one());
    }

    /** WAL with synchronous=FULL: a commit is on disk when it returns. */
    @Test
    void sqliteIsDurable() throws Exception {
        try (Database db = Database.sqlite(dir.resolve("x.db"))) {
            assertThat(db.location()).isEqualTo(dir.resolve("x.db").toAbsolutePath().toString());
            db.jdbi().useHandle(h -> {
                assertThat(h.createQuery("PRAGMA journal_mode").mapTo(String.class).one()).isEqualTo("wal");
                assertThat(h.createQuery("PRAGMA synchronous").mapTo(Integer.class).one()).isEqualTo(2);
                assertThat(h.createQuery("PRAGMA foreign_keys").mapTo(Integer.class).one()).isEqualTo(1);
            });
        }
    }

    @Test
    void postgresqlLocationNeverShowsThePassword() {
        String url = TestPostgres.freshDatabaseUrl();
        try (Database db = Database.postgresql(url + "&password=hunter2")) {
            assertThat(db.location()).startsWith("jdbc:postgresql://127.0.0.1:").doesNotContain("hunter2")
                    .doesNotContain("?");
        }
    }

    @Test
    void refusesOtherUrlsAndUnreachableServersByName() {
        assertThatThrownBy(() -> Database.postgresql("jdbc:mysql://localhost/x?password=secret"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("jdbc:postgresql://").hasMessageNotContaining("secret");
        assertThatThrownBy(() -> Database.postgresql("jdbc:postgresql://127.0.0.1:1/none?password=secret"))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("127.0.0.1:1/none").hasMessageNotContaining("secret");
    }
}

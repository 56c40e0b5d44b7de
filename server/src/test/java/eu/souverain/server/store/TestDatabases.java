package eu.souverain.server.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * The two databases the store runs on, for tests that run against each: {@code
 * @ParameterizedTest @EnumSource(TestDatabases.class)} then {@code open(tempDir)}.
 */
public enum TestDatabases {
    SQLITE(dir -> {
        try {
            return Database.sqlite(dir.resolve(Database.SQLITE_FILE));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }),
    POSTGRESQL(dir -> Database.postgresql(TestPostgres.freshDatabaseUrl()));

    private final Function<Path, Database> opener;

    TestDatabases(Function<Path, Database> opener) {
        this.opener = opener;
    }

    /** A new, migrated database: a file under {@code dir}, or a fresh PostgreSQL database. */
    public Database open(Path dir) {
        return opener.apply(dir);
    }
}

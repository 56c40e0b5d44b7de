package eu.souverain.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.ReentrantLock;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.HandleConsumer;
import org.jdbi.v3.core.Jdbi;
import org.sqlite.SQLiteConfig;

/**
 * The platform's database: an embedded SQLite file under the data directory for one machine, or
 * a PostgreSQL server given by its JDBC URL for several. Opening it brings its schema up to date
 * with the Flyway migrations of its dialect ({@code db/migration/sqlite} or
 * {@code db/migration/postgresql}), which keep one version history for both.
 */
public final class Database implements AutoCloseable {

    /** The file name of the embedded database inside the data directory. */
    public static final String SQLITE_FILE = "souverain.db";

    public enum Dialect {
        SQLITE, POSTGRESQL;

        String migrations() {
            return "classpath:db/migration/" + name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Dialect dialect;
    private final String location;
    private final HikariDataSource pool;
    private final Jdbi jdbi;
    /**
     * SQLite's writers of this process, one at a time. SQLite allows one writer anyway, and its
     * own wait for the write lock sleeps in native code, which pins a virtual thread to its
     * carrier: when the writer holding the lock waited on anything else mid-transaction, those
     * waiting for the lock could hold every carrier, leaving it no carrier to resume on until
     * their 30 s busy timeout failed them all (SqliteWritersTest). Waiting here unmounts them.
     * Null for PostgreSQL, whose writers wait on the server over a socket.
     */
    private final ReentrantLock writer;

    private Database(Dialect dialect, String location, HikariDataSource pool) {
        this.dialect = dialect;
        this.location = location;
        this.pool = pool;
        this.jdbi = Jdbi.create(pool);
        this.writer = dialect == Dialect.SQLITE ? new ReentrantLock(true) : null;
    }

    /** PostgreSQL when {@code jdbcUrl} is given, else the SQLite file under {@code dataDir}. */
    public static Database open(Path dataDir, String jdbcUrl) throws IOException {
        return jdbcUrl == null ? sqlite(dataDir.resolve(SQLITE_FILE)) : postgresql(jdbcUrl);
    }

    /**
     * The SQLite file at {@code file}, created if absent. Write-ahead log with synchronous=FULL:
     * a transaction is on disk when its commit returns, so an acknowledged write survives a power
     * cut. Transactions begin IMMEDIATE, taking the write lock up front: two transactions that
     * read then write can then never deadlock on the upgrade, the later one waits its turn.
     */
    public static Database sqlite(Path file) throws IOException {
        Path absolute = file.toAbsolutePath();
        DataDirectory.create(absolute.getParent());
        DataDirectory.ownerOnlyFile(absolute);
        // Left by an earlier version or a crash: SQLite reuses them as they are.
        DataDirectory.narrowToOwner(Path.of(absolute + "-wal"));
        DataDirectory.narrowToOwner(Path.of(absolute + "-shm"));
        SQLiteConfig sqlite = new SQLiteConfig();
        sqlite.setJournalMode(SQLiteConfig.JournalMode.WAL);
        sqlite.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        sqlite.enforceForeignKeys(true);
        sqlite.setBusyTimeout(30_000);
        sqlite.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        // Deleted content is overwritten with zeros: a destroyed data key leaves no bytes behind in the file.
        sqlite.setPragma(SQLiteConfig.Pragma.SECURE_DELETE, "true");
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl("jdbc:sqlite:" + absolute);
        config.setDataSourceProperties(sqlite.toProperties());
        config.setMaximumPoolSize(4);
        config.setPoolName("souverain-sqlite");
        return migrate(Dialect.SQLITE, absolute.toString(), config);
    }

    /**
     * The PostgreSQL database at {@code jdbcUrl} ({@code jdbc:postgresql://host:port/name}, user and
     * password as URL parameters or from PGUSER/PGPASSWORD-style driver defaults).
     */
    public static Database postgresql(String jdbcUrl) {
        if (!jdbcUrl.startsWith("jdbc:postgresql://")) {
            throw new IllegalArgumentException("a database URL must start with jdbc:postgresql://, not '"
                    + redacted(jdbcUrl) + "'");
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setMaximumPoolSize(8);
        config.setPoolName("souverain-postgresql");
        return migrate(Dialect.POSTGRESQL, redacted(jdbcUrl), config);
    }

    private static Database migrate(Dialect dialect, String location, HikariConfig config) {
        config.setInitializationFailTimeout(10_000);
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new StoreException("cannot open the " + dialect.name().toLowerCase(java.util.Locale.ROOT)
                    + " database at " + location + ": " + rootMessage(e), e);
        }
        try {
            Flyway.configure().dataSource(pool).locations(dialect.migrations()).load().migrate();
        } catch (FlywayException e) {
            pool.close();
            throw new StoreException("cannot bring the database at " + location + " up to date: " + rootMessage(e), e);
        }
        return new Database(dialect, location, pool);
    }

    public Dialect dialect() {
        return dialect;
    }

    /** Where the data lives: the SQLite file's absolute path, or the PostgreSQL host, port and database. */
    public String location() {
        return location;
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    /**
     * Runs {@code body} in one transaction: all of its writes commit together, or none does. Every
     * write goes through here or {@link #useTransaction} (a single statement too), never through
     * {@link #jdbi()}, which is for reads.
     */
    public <T, X extends Exception> T inTransaction(HandleCallback<T, X> body) throws X {
        if (writer == null) {
            return jdbi.inTransaction(body);
        }
        writer.lock();
        try {
            return jdbi.inTransaction(body);
        } finally {
            writer.unlock();
        }
    }

    public <X extends Exception> void useTransaction(HandleConsumer<X> body) throws X {
        inTransaction(handle -> {
            body.useHandle(handle);
            return null;
        });
    }

    @Override
    public void close() {
        pool.close();
    }

    /** The URL without its query, which may carry a password: host, port and database only. */
    private static String redacted(String jdbcUrl) {
        String withoutQuery = jdbcUrl.split("\\?", 2)[0];
        try {
            URI uri = URI.create(withoutQuery.substring("jdbc:".length()));
            if (uri.getUserInfo() != null) {
                return "jdbc:" + uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
                        + uri.getPath();
            }
        } catch (IllegalArgumentException | StringIndexOutOfBoundsException e) {
            // Not a URI: the part before the query is all we show.
        }
        return withoutQuery;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage();
    }

    /** Whether the store has {@code table}: a reader of an older store may find one missing. */
    public static boolean hasTable(Handle h, String table) {
        try {
            DatabaseMetaData metadata = h.getConnection().getMetaData();
            for (String name : List.of(table, table.toUpperCase(Locale.ROOT))) {
                try (ResultSet tables = metadata.getTables(null, null, name, null)) {
                    if (tables.next()) {
                        return true;
                    }
                }
            }
            return false;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the store's tables: " + e.getMessage(), e);
        }
    }
}

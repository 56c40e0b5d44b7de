package eu.souverain.server.store;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for the tests: Debian's package, started once per test JVM in a
 * temporary directory on a free loopback port, stopped when the JVM exits. Each caller gets a
 * database of its own. With {@code SOUVERAIN_TEST_POSTGRES_URL} set (a JDBC URL to a database whose
 * user may create databases), that server is used instead.
 */
public final class TestPostgres {

    private static final String USER = "souverain";
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static String adminUrl;

    private TestPostgres() {
    }

    /** The JDBC URL of a new, empty database. */
    public static synchronized String freshDatabaseUrl() {
        if (adminUrl == null) {
            String given = System.getenv("SOUVERAIN_TEST_POSTGRES_URL");
            adminUrl = given != null ? given : start();
        }
        String name = "souverain_test_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
        try (Connection connection = DriverManager.getConnection(adminUrl);
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create a test database on " + adminUrl + ": " + e.getMessage(), e);
        }
        String[] baseAndQuery = adminUrl.split("\\?", 2);
        String base = baseAndQuery[0].substring(0, baseAndQuery[0].lastIndexOf('/') + 1) + name;
        return baseAndQuery.length == 2 ? base + "?" + baseAndQuery[1] : base;
    }

    private static String start() {
        Path bin = binaries();
        try {
            Path dir = Files.createTempDirectory("souverain-postgres");
            Path data = dir.resolve("data");
            boolean root = "root".equals(System.getProperty("user.name"));
            if (root) {
                // PostgreSQL refuses to run as root: the cluster belongs to the package's postgres user.
                run(List.of("chown", "postgres", dir.toString()), false);
            }
            run(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", USER, "--auth=trust",
                    "-E", "UTF8", "--no-sync"), root);
            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            Process server = new ProcessBuilder(command(List.of(bin.resolve("postgres").toString(), "-D",
                    data.toString(), "-p", Integer.toString(port), "-k", dir.toString(),
                    "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"), root))
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("server.log").toFile())
                    .start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(server, dir)));
            String url = "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=" + USER;
            awaitReady(url, server, dir);
            return url;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start a test PostgreSQL server: " + e.getMessage(), e);
        }
    }

    /** The newest installed PostgreSQL's programs: Debian puts them under /usr/lib/postgresql/VERSION/bin. */
    private static Path binaries() {
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("initdb")))
                    .max(Comparator.comparingInt(b -> Integer.parseInt(b.getParent().getFileName().toString())))
                    .orElseThrow();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("the store tests need PostgreSQL: install Debian's package"
                    + " (apt-get install -y postgresql; .ci/run does) or set SOUVERAIN_TEST_POSTGRES_URL");
        }
    }

    private static List<String> command(List<String> command, boolean asPostgres) {
        if (!asPostgres) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    private static void run(List<String> command, boolean asPostgres) throws IOException {
        Process process = new ProcessBuilder(command(command, asPostgres)).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        try {
            if (process.waitFor() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command.getFirst(), e);
        }
    }

    private static void awaitReady(String url, Process server, Path dir) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Connection ignored = DriverManager.getConnection(url)) {
                return;
            } catch (SQLException e) {
                if (!server.isAlive() || System.nanoTime() > deadline) {
                    throw new IOException("the test PostgreSQL server did not start; its log: "
                            + Files.readString(dir.resolve("server.log")));
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for PostgreSQL", e);
            }
        }
    }

    private static void stop(Process server, Path dir) {
        server.destroy();
        try {
            server.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.destroyForcibly();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // A temporary directory left behind is harmless.
        }
    }
}

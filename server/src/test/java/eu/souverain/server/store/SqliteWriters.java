package eu.souverain.server.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * Run by {@link SqliteWritersTest} in a JVM whose virtual threads share two carriers, as on a
 * two-core server: one virtual thread holds a write transaction and, half-way, waits on something
 * else (here a sleep; in the server a lock or a queue), which unmounts it; meanwhile more virtual
 * threads than carriers want to write. Prints each writer that failed and exits with status 3 if
 * any did.
 */
final class SqliteWriters {

    private static final int WRITERS = 8;

    private SqliteWriters() {}

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("souverain-writers");
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        try (Database db = Database.sqlite(dir.resolve(Database.SQLITE_FILE))) {
            CountDownLatch holding = new CountDownLatch(1);
            Thread holder = Thread.ofVirtual().start(() -> {
                try {
                    db.useTransaction(h -> {
                        insert(h, "org_holder_1");
                        holding.countDown();
                        Thread.sleep(300);
                        insert(h, "org_holder_2");
                    });
                } catch (Exception e) {
                    failures.add("the holder: " + e.getMessage());
                }
            });
            holding.await();
            List<Thread> writers = new ArrayList<>();
            for (int i = 0; i < WRITERS; i++) {
                String id = "org_writer_" + i;
                writers.add(Thread.ofVirtual().start(() -> {
                    try {
                        db.useTransaction(h -> insert(h, id));
                    } catch (RuntimeException e) {
                        failures.add(id + ": " + e.getMessage());
                    }
                }));
            }
            holder.join();
            for (Thread writer : writers) {
                writer.join();
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
        failures.forEach(System.err::println);
        System.exit(failures.isEmpty() ? 0 : 3);
    }

    private static void insert(org.jdbi.v3.core.Handle h, String id) {
        h.execute("INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)", id, id, 1L);
    }
}

package eu.souverain.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * SQLite's own wait for its write lock sleeps in native code, which pins a virtual thread to its
 * carrier. When the writer holding the lock had to wait on anything else mid-transaction, the
 * threads waiting for the lock held every carrier and it could not resume: nothing was written
 * for the 30 s busy timeout, and then each of them failed with SQLITE_BUSY (as three products of a
 * catalogue run did). Writers of one process now queue in Java, which unmounts them.
 */
class SqliteWritersTest {

    @Test
    void aWriterThatWaitsMidTransactionDoesNotStarveTheOthersIntoBusyErrors() throws Exception {
        List<String> command = List.of(ProcessHandle.current().info().command().orElseThrow(),
                "-Djdk.virtualThreadScheduler.parallelism=2", "-Djdk.virtualThreadScheduler.maxPoolSize=2",
                "-cp", System.getProperty("java.class.path"), SqliteWriters.class.getName());
        Process child = new ProcessBuilder(command).start();
        try {
            assertThat(child.waitFor(120, TimeUnit.SECONDS)).as("the writers finished").isTrue();
            String errors = new String(child.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(child.exitValue()).as("exit status (3: writers failed); its errors:%n%s", errors).isZero();
        } finally {
            child.destroyForcibly();
        }
    }
}

package eu.souverain.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.server.tenancy.FirstStart;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data directory and its files are readable by their owner only under the usual umask 022,
 * and a directory an operator left wider is named at start and in the sovereignty report.
 */
class DataPermissionsTest {

    private static final Path HOME = Path.of("").toAbsolutePath().getParent();

    @TempDir
    Path dir;

    /** Starts {@code serve} in its own process under umask 022, stops it once it serves; returns its stderr. */
    private List<String> serveOnceUnderUmask022(Path data) throws Exception {
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", "umask 022 && exec \"$0\" \"$@\"",
                ProcessHandle.current().info().command().orElseThrow(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Dsouverain.home=" + HOME, "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "serve", "--port", "0", "--threads", "1", "--data", data.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().remove(FirstStart.OWNER_PASSWORD_VARIABLE);
        Process process = builder.start();
        List<String> stderr = new ArrayList<>();
        try {
            BufferedReader lines = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8));
            for (String line; (line = lines.readLine()) != null; ) {
                stderr.add(line);
                if (line.contains("souverain: serving ")) {
                    // Serving: the database is open in write-ahead mode, so its -wal and -shm files exist now.
                    for (String file : List.of("souverain.db", "souverain.db-wal", "souverain.db-shm", "master-key.json",
                            "audit-signing-key.json")) {
                        assertThat(permissions(data.resolve(file))).as(file).isEqualTo("rw-------");
                    }
                    return stderr;
                }
            }
            throw new AssertionError("serve did not start: " + stderr);
        } finally {
            process.destroy();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    private static String permissions(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    @Test
    void underUmask022ServeMakesTheDataDirectoryAndItsFilesOwnerOnly() throws Exception {
        Path data = dir.resolve("var").resolve("data");
        List<String> stderr = serveOnceUnderUmask022(data);
        assertThat(permissions(data)).isEqualTo("rwx------");
        assertThat(permissions(data.getParent())).isEqualTo("rwx------");
        assertThat(stderr).noneMatch(line -> line.contains("warning"));
    }

    @Test
    void anExistingWiderDirectoryIsNamedAtStartAndInTheReportAndItsDatabaseNarrowed() throws Exception {
        Path data = dir.resolve("data");
        StringWriter ignored = new StringWriter();
        assertThat(Main.run(new String[] {"orgs", "create", "Acme", "--data", data.toString()},
                new PrintWriter(ignored), new PrintWriter(ignored))).as(ignored.toString()).isZero();
        // As an earlier version, or an operator's umask, left them.
        Files.setPosixFilePermissions(data.resolve("souverain.db"), PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));

        List<String> stderr = serveOnceUnderUmask022(data);
        String warning = "the data directory " + data.toAbsolutePath() + " has permissions rwxr-xr-x";
        assertThat(stderr).anySatisfy(line -> assertThat(line).startsWith("souverain: warning: " + warning)
                .endsWith("run 'chmod 700 " + data.toAbsolutePath() + "' unless that is meant"));
        // The operator may have meant a wider directory; the store's own files are narrowed all the same.
        assertThat(permissions(data)).isEqualTo("rwxr-xr-x");

        StringWriter text = new StringWriter();
        StringWriter err = new StringWriter();
        assertThat(Main.run(new String[] {"report", "--data", data.toString()}, new PrintWriter(text, true),
                new PrintWriter(err, true))).as(err.toString()).isZero();
        assertThat(text.toString()).contains("  WARNING: " + warning);

        StringWriter json = new StringWriter();
        assertThat(Main.run(new String[] {"report", "--json", "--data", data.toString()}, new PrintWriter(json, true),
                new PrintWriter(err, true))).as(err.toString()).isZero();
        JsonNode operators = new ObjectMapper().readTree(json.toString()).get("access").get("operators");
        assertThat(operators.get("warning").asText()).startsWith(warning);

        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
        StringWriter narrow = new StringWriter();
        Main.run(new String[] {"report", "--json", "--data", data.toString()}, new PrintWriter(narrow, true),
                new PrintWriter(err, true));
        assertThat(new ObjectMapper().readTree(narrow.toString()).get("access").get("operators").has("warning")).isFalse();
    }
}

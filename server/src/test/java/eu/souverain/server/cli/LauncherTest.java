package eu.souverain.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code souverain} launcher script, run by bash against a JDK whose {@code java} writes down
 * how it was called: it reads the JDK's version from its release file and starts no JVM of its own
 * to inspect it, remembers the JDK, and gives the JVM the ahead-of-time cache of the current jar,
 * training a new one after each build and starting without when the training fails.
 */
class LauncherTest {

    private static final Path HOME = Path.of("").toAbsolutePath().getParent();

    @TempDir
    Path dir;

    private Path root;
    private Path jdk;
    private Path calls;

    private record Run(int exit, String out, String err) {}

    @BeforeEach
    void aCheckoutWithABuiltJarAndAJdk() throws IOException {
        root = Files.createDirectories(dir.resolve("checkout"));
        Files.copy(HOME.resolve("souverain"), root.resolve("souverain"));
        Files.createDirectories(root.resolve("server/target"));
        Files.writeString(root.resolve("server/target/souverain.jar"), "a jar");
        jdk = Files.createDirectories(dir.resolve("jdk-25/bin"));
        jdk = jdk.getParent();
        Files.writeString(jdk.resolve("release"), "IMPLEMENTOR=\"Test\"\nJAVA_VERSION=\"25.0.1\"\nOS_NAME=\"Linux\"\n");
        calls = dir.resolve("java-calls.txt");
        executable(jdk.resolve("bin/javac"), "#!/bin/sh\nexit 0\n");
        // The training run makes its cache file; FAIL_TRAINING makes it fail instead.
        executable(jdk.resolve("bin/java"), """
                #!/bin/sh
                echo "$*" >> '%s'
                for a in "$@"; do
                  case "$a" in
                    -XX:AOTCacheOutput=*) [ -n "$FAIL_TRAINING" ] && exit 1; echo cache > "${a#-XX:AOTCacheOutput=}" ;;
                  esac
                done
                exit 0
                """.formatted(calls));
    }

    private static void executable(Path file, String text) throws IOException {
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private Run launch(Map<String, String> environment, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("bash", root.resolve("souverain").toString()));
        command.addAll(List.of(args));
        Path out = dir.resolve("stdout.txt");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile());
        builder.environment().clear();
        builder.environment().putAll(Map.of("PATH", "/usr/bin:/bin", "HOME", dir.toString()));
        builder.environment().putAll(environment);
        Process process = builder.start();
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(process.exitValue(), Files.readString(out), err);
    }

    private List<String> calls() throws IOException {
        return Files.exists(calls) ? Files.readAllLines(calls) : List.of();
    }

    private void rebuilt() throws IOException {
        Files.setLastModifiedTime(root.resolve("server/target/souverain.jar"), FileTime.from(Instant.now().plusSeconds(5)));
    }

    @Test
    void readsTheJdkVersionFromItsReleaseFileAndTrainsTheCacheOncePerBuild() throws Exception {
        Map<String, String> javaHome = Map.of("JAVA_HOME", jdk.toString());
        Run first = launch(javaHome, "--version");
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(first.err()).contains("preparing the start-up cache");
        String cache = root.resolve("server/target/souverain.aot").toString();
        // One training run, then the command: no JVM started to learn the JDK's version.
        assertThat(calls()).hasSize(2);
        assertThat(calls().get(0)).contains("-XX:AOTCacheOutput=").contains("-Dsouverain.aot-training=")
                .contains("--add-modules jdk.incubator.vector");
        assertThat(calls().get(1)).contains("-XX:AOTCache=" + cache).contains("-Xlog:aot=off").endsWith("--version");

        Run second = launch(javaHome, "--help");
        assertThat(second.err()).isEmpty();
        assertThat(calls()).hasSize(3);
        assertThat(calls().get(2)).contains("-XX:AOTCache=" + cache).endsWith("--help");

        // Without JAVA_HOME, the JDK found before is taken again (the machine's own JDKs would not write here).
        Run remembered = launch(Map.of(), "--help");
        assertThat(remembered.exit()).as(remembered.err()).isZero();
        assertThat(calls()).hasSize(4);

        rebuilt();
        launch(javaHome, "--help");
        assertThat(calls()).hasSize(6);
        assertThat(calls().get(4)).contains("-XX:AOTCacheOutput=");
    }

    @Test
    void aFailedTrainingLeavesNoCacheAndTheCommandRunsWithout() throws Exception {
        Run failed = launch(Map.of("JAVA_HOME", jdk.toString(), "FAIL_TRAINING", "1"), "--help");
        assertThat(failed.exit()).as(failed.err()).isZero();
        assertThat(failed.err()).contains("starting without the start-up cache");
        assertThat(calls()).hasSize(2);
        assertThat(calls().get(1)).doesNotContain("-XX:AOTCache").endsWith("--help");
        assertThat(root.resolve("server/target/souverain.aot")).doesNotExist();

        // Not tried again until the next build.
        Run next = launch(Map.of("JAVA_HOME", jdk.toString()), "--help");
        assertThat(next.err()).isEmpty();
        assertThat(calls()).hasSize(3);
        assertThat(calls().get(2)).doesNotContain("-XX:AOTCache").endsWith("--help");
        rebuilt();
        launch(Map.of("JAVA_HOME", jdk.toString()), "--help");
        assertThat(calls()).hasSize(5);
        assertThat(calls().get(3)).contains("-XX:AOTCacheOutput=");
        assertThat(calls().get(4)).contains("-XX:AOTCache=");

        Run off = launch(Map.of("JAVA_HOME", jdk.toString(), "SOUVERAIN_AOT", "off"), "--help");
        assertThat(off.err()).isEmpty();
        assertThat(calls()).hasSize(6);
        assertThat(calls().get(5)).doesNotContain("-XX:AOTCache");
    }

    @Test
    void aJdkOlderThan25IsNotTaken() throws Exception {
        Files.writeString(jdk.resolve("release"), "JAVA_VERSION=\"17.0.12\"\n");
        Run run = launch(Map.of("JAVA_HOME", jdk.toString(), "SOUVERAIN_DRY_RUN", "1", "SOUVERAIN_AOT", "off"), "--help");
        // Another JDK 25 of the machine is taken instead, or none is found: never the old one.
        assertThat(calls()).isEmpty();
        if (run.exit() == 0) {
            assertThat(run.out()).doesNotContain(jdk.toString()).contains("/bin/java ").contains("--help");
        } else {
            assertThat(run.err()).contains("no JDK 25 or newer found");
        }
    }

    /** A PATH holding only {@code mkdir}, a recording apt-get and the programs named. */
    private Path path(String... programs) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Files.createSymbolicLink(bin.resolve("mkdir"), Path.of("/bin/mkdir"));
        executable(bin.resolve("apt-get"), """
                #!/bin/sh
                echo "apt-get $*" >> '%s'
                [ -z "$FAIL_APT" ]
                """.formatted(calls));
        executable(bin.resolve("env"), "#!/bin/sh\nexport \"$1\"; shift; exec \"$@\"\n");
        for (String program : programs) {
            executable(bin.resolve(program), "#!/bin/sh\nexit 0\n");
        }
        executable(root.resolve("mvnw"), "#!/bin/sh\necho \"mvnw $*\" >> '%s'\n".formatted(calls));
        return bin;
    }

    @Test
    void testInstallsTheBrowserItIsMissingThenRunsTheSuite() throws Exception {
        Path bin = path();
        Run run = launch(Map.of("JAVA_HOME", jdk.toString(), "PATH", bin.toString(), "SOUVERAIN_TEST_POSTGRES_URL",
                "jdbc:postgresql://127.0.0.1:5432/test"), "test", "-Dtest=Some");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(calls()).containsExactly("apt-get update -qq", "apt-get install -y -qq chromium chromium-driver",
                "mvnw -B -f " + root.resolve("pom.xml") + " verify -Dtest=Some");
    }

    @Test
    void testSaysWhatToRunWhenItCannotInstall() throws Exception {
        Path bin = path("chromium");
        Run run = launch(Map.of("JAVA_HOME", jdk.toString(), "PATH", bin.toString(), "FAIL_APT", "1",
                "SOUVERAIN_TEST_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/test"), "test");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err().lines().filter(line -> line.startsWith("souverain: the tests need Debian's")))
                .singleElement().asString().contains("'sudo apt-get install -y chromium-driver'")
                .contains("./souverain test");
        assertThat(calls()).noneMatch(call -> call.startsWith("mvnw"));
    }

    @Test
    void testInstallsNothingWhenAllIsThere() throws Exception {
        Path bin = path("chromium", "chromedriver");
        Run run = launch(Map.of("JAVA_HOME", jdk.toString(), "PATH", bin.toString(), "SOUVERAIN_TEST_POSTGRES_URL",
                "jdbc:postgresql://127.0.0.1:5432/test"), "test");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.err()).isEmpty();
        assertThat(calls()).containsExactly("mvnw -B -f " + root.resolve("pom.xml") + " verify");
    }
}

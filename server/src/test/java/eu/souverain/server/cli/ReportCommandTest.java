package eu.souverain.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.privacy.PiiKind;
import eu.souverain.server.privacy.RedactionSettings;
import eu.souverain.server.privacy.Redactions;
import eu.souverain.server.store.Database;
import eu.souverain.server.store.TestPostgres;
import eu.souverain.server.tenancy.FirstStart;
import eu.souverain.server.tenancy.Tenancy;
import eu.souverain.server.vault.KeyFileMasterKey;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code souverain report} on a store the server is not running on: SQLite under --data, and PostgreSQL. */
class ReportCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {}

    private static Run report(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> command = new ArrayList<>(List.of("report"));
        command.addAll(List.of(args));
        int exit = Main.run(command.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    /** A store with its first start made and its master key file under {@code data}, as serve leaves them. */
    private static void firstStart(Database database, Path data) {
        try (database) {
            Tenancy tenancy = new Tenancy(database, new AuditLog(database, Clock.systemUTC()), Clock.systemUTC());
            FirstStart.run(tenancy, "Acme", "owner@acme.example", null).orElseThrow();
            KeyFileMasterKey.open(data.resolve(KeyFileMasterKey.FILE));
        }
    }

    private Path backendsFile() throws IOException {
        Path file = dir.resolve("backends.json");
        Files.writeString(file, """
                {"backends": [{"name": "gpu-paris", "kind": "openai-compatible", "base_url": "http://10.0.12.5:8000/v1",
                  "models": ["mistral-small"], "location": {"provider": "vLLM", "operator": "Acme IT", "country": "FR"}}]}
                """);
        return file;
    }

    @Test
    void jsonFromAnSqliteStore() throws IOException {
        Path data = dir.resolve("data");
        firstStart(Database.sqlite(data.resolve(Database.SQLITE_FILE)), data);
        Run run = report("--data", data.toString(), "--backends", backendsFile().toString(), "--country", "FR",
                "--operator", "Acme IT", "--json");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode r = JSON.readTree(run.out());
        assertThat(r.get("scope").get("all_organizations").asBoolean()).isTrue();
        assertThat(r.get("where").get("local_engine").get("country").asText()).isEqualTo("FR");
        assertThat(r.get("where").get("data").get(0).get("location").asText()).contains(data.resolve(Database.SQLITE_FILE).toString());
        assertThat(r.get("access").get("users").get(0).get("email").asText()).isEqualTo("owner@acme.example");
        assertThat(r.get("access").get("api_keys").get(0).get("state").asText()).isEqualTo("active");
        assertThat(r.get("backends").get(1).get("name").asText()).isEqualTo("gpu-paris");
        assertThat(r.get("security").get("outbound_connections").get(0).get("url").asText()).isEqualTo("http://10.0.12.5:8000/v1");
        assertThat(r.get("security").get("tls").get("listener").isNull()).isTrue();
        assertThat(r.get("security").get("audit").get("chain_intact").asBoolean()).isTrue();
    }

    @Test
    void textSaysWhatIsBrokenAndExitsWithOne() throws IOException {
        Path data = dir.resolve("data");
        firstStart(Database.sqlite(data.resolve(Database.SQLITE_FILE)), data);
        Run intact = report("--data", data.toString());
        assertThat(intact.exit()).as(intact.err()).isZero();
        assertThat(intact.out()).contains("WHERE THE DATA IS", "BACKENDS", "WHO HAS ACCESS", "SECURITY LEVEL",
                "user owner@acme.example (owner)", "plain HTTP", "audit chain: intact");

        try (Database database = Database.sqlite(data.resolve(Database.SQLITE_FILE))) {
            database.jdbi().useHandle(h -> h.execute("DELETE FROM audit_entries WHERE seq = 2"));
        }
        Run broken = report("--data", data.toString());
        assertThat(broken.exit()).isEqualTo(1);
        assertThat(broken.out()).contains("audit chain: BROKEN at entry 2");
    }

    @Test
    void aDataDirectoryWithoutTheServersKeyIsRefusedRatherThanGivenANewKey() {
        Path empty = dir.resolve("elsewhere");
        Run run = report("--data", empty.toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("no master key file at " + empty.resolve(KeyFileMasterKey.FILE), "--master-key");
        assertThat(Files.exists(empty.resolve(KeyFileMasterKey.FILE))).isFalse();
    }

    @Test
    void aPostgresqlStoreIsNamedByItsHost() throws IOException {
        String url = TestPostgres.freshDatabaseUrl();
        firstStart(Database.postgresql(url), dir.resolve("keys"));
        try (Database database = Database.postgresql(url)) {
            Redactions redactions = new Redactions(database, new AuditLog(database, Clock.systemUTC()), Clock.systemUTC());
            String organization = new Tenancy(database, new AuditLog(database, Clock.systemUTC()), Clock.systemUTC())
                    .organizations().find("Acme").id();
            redactions.set(organization, new RedactionSettings(true, EnumSet.of(PiiKind.EMAIL)), "test", null);
            assertThat(redactions.settings(organization).kinds()).containsExactly(PiiKind.EMAIL);
        }
        Run run = report("--db", url, "--data", dir.resolve("keys").toString(), "--json");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode r = JSON.readTree(run.out());
        assertThat(r.get("where").get("data").get(0).get("location").asText()).startsWith("PostgreSQL database jdbc:postgresql://");
        assertThat(r.get("access").get("operators").get("database").asText()).contains("PostgreSQL server");
        assertThat(r.get("security").get("redaction").get(0).get("kinds").toString()).isEqualTo("[\"email\"]");
        assertThat(run.out()).doesNotContain("password");
    }
}

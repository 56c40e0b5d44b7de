package eu.souverain.server.sovereignty;

import eu.souverain.server.backends.Backend;
import eu.souverain.server.backends.BackendLocation;
import eu.souverain.server.backends.LocalBackend;
import eu.souverain.server.backends.RemoteBackend;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.store.Database;
import eu.souverain.server.store.TestDatabases;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The residency check against policies kept in a real store, on both databases. */
class ResidencyTest {

    private static final Path MODEL = Path.of("").toAbsolutePath().getParent().resolve("models/stories260K.gguf");

    @TempDir
    Path dir;

    private static LocalBackend localInFrance;
    private static LocalBackend localInUs;
    private static LocalBackend localNowhere;
    private static final RemoteBackend EU_VLLM = remote("eu-vllm",
            new BackendLocation("vLLM", "OVHcloud", "FR", "Gravelines", null, List.of("SecNumCloud")));
    private static final RemoteBackend MISTRAL_US = remote("mistral-api",
            new BackendLocation("Mistral AI", "Azure", "US", null, null, List.of()));
    private static final RemoteBackend NORWAY = remote("oslo", new BackendLocation("vLLM", "Fjord", "NO", null, null,
            List.of()));

    @BeforeAll
    static void load() throws IOException {
        localInFrance = LocalBackend.load(Map.of("m", MODEL), 0, 1, 1,
                new BackendLocation("souverain", "host-1", "FR", null, null, List.of()));
        localInUs = LocalBackend.load(Map.of("m", MODEL), 0, 1, 1,
                new BackendLocation("souverain", "host-2", "US", null, null, List.of()));
        localNowhere = LocalBackend.load(Map.of("m", MODEL), 0, 1, 1,
                new BackendLocation("souverain", "host-3", null, null, null, List.of()));
    }

    @AfterAll
    static void release() {
        for (LocalBackend local : List.of(localInFrance, localInUs, localNowhere)) {
            local.shutdown(Duration.ZERO);
            local.close();
        }
        for (RemoteBackend remote : List.of(EU_VLLM, MISTRAL_US, NORWAY)) {
            remote.close();
        }
    }

    /** A remote backend as declared; nothing is sent to it here. */
    private static RemoteBackend remote(String name, BackendLocation location) {
        return new RemoteBackend(new RemoteBackend.Config(name, RemoteBackend.Kind.OPENAI_COMPATIBLE,
                URI.create("http://127.0.0.1:9/v1"), null, Map.of("m-" + name, "m"), location, Duration.ofSeconds(1)));
    }

    private record Denial(String org, String actor, String action, String resource, String backend, String location,
                          String ip, String outcome) {}

    private static List<Denial> audit(Database db) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT * FROM audit_entries ORDER BY seq")
                .map((rs, ctx) -> new Denial(rs.getString("organization_id"), rs.getString("actor"),
                        rs.getString("action"), rs.getString("resource"), rs.getString("backend"),
                        rs.getString("backend_location"), rs.getString("client_ip"), rs.getString("outcome")))
                .list());
    }

    private static Residency residency(Database db) {
        db.jdbi().useHandle(h -> h.execute("INSERT INTO organizations (id, name, created_at) VALUES ('org_acme', 'Acme', 1)"));
        return new Residency(db, new AuditLog(db, Clock.systemUTC()), Clock.systemUTC());
    }

    private static void allowed(Residency residency, Backend backend) {
        assertThatCode(() -> residency.check("org_acme", backend, "m", "key_1", "10.1.2.3")).doesNotThrowAnyException();
    }

    private static void refused(Residency residency, Backend backend, String message) {
        assertThatThrownBy(() -> residency.check("org_acme", backend, "m", "key_1", "10.1.2.3"))
                .isInstanceOf(ResidencyException.class).hasMessage(message);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void remoteBackendsAreRefusedUntilAnAdminAllowsThem(TestDatabases kind) {
        try (Database db = kind.open(dir)) {
            Residency residency = residency(db);
            assertThat(residency.policy("org_acme")).isEqualTo(ResidencyPolicy.DEFAULT);
            allowed(residency, localInFrance);
            allowed(residency, localNowhere);
            refused(residency, EU_VLLM, "organization 'Acme' allows no remote backend; backend 'eu-vllm' is remote "
                    + "(FR/Gravelines (EU), operator OVHcloud, provider vLLM)");
            assertThat(audit(db)).containsExactly(new Denial("org_acme", "key_1", "model.call", "m", "eu-vllm",
                    "FR/Gravelines (EU), operator OVHcloud, provider vLLM", "10.1.2.3", "DENIED"));

            residency.setPolicy("org_acme", new ResidencyPolicy(true, List.of(), List.of(), List.of()), "user_admin", null);
            allowed(residency, EU_VLLM);
            allowed(residency, MISTRAL_US);
            assertThat(audit(db)).hasSize(2).last().extracting(Denial::action, Denial::actor, Denial::outcome)
                    .containsExactly("residency.policy.update", "user_admin", "SUCCESS");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void anEuOnlyOrganizationIsRefusedAUsBackendUntilTheAdminAllowsIt(TestDatabases kind) {
        try (Database db = kind.open(dir)) {
            Residency residency = residency(db);
            residency.setPolicy("org_acme", new ResidencyPolicy(true, List.of("eu"), List.of(), List.of()), "u", null);
            assertThat(residency.policy("org_acme").jurisdictions()).containsExactly("EU");
            allowed(residency, EU_VLLM);
            allowed(residency, localInFrance);
            refused(residency, MISTRAL_US, "organization 'Acme' allows jurisdictions [EU]; backend 'mistral-api' is in US");
            refused(residency, NORWAY, "organization 'Acme' allows jurisdictions [EU]; backend 'oslo' is in EEA");
            // The engine in this process is no exception: its own location breaks the policy.
            refused(residency, localInUs, "organization 'Acme' allows jurisdictions [EU]; backend 'local' is in US");
            refused(residency, localNowhere, "organization 'Acme' allows jurisdictions [EU]; backend 'local' is in an "
                    + "unknown jurisdiction (start serve with --country)");
            assertThat(audit(db)).filteredOn(d -> d.outcome().equals("DENIED"))
                    .extracting(Denial::backend, Denial::location).containsExactly(
                            org.assertj.core.groups.Tuple.tuple("mistral-api", "US (US), operator Azure, provider Mistral AI"),
                            org.assertj.core.groups.Tuple.tuple("oslo", "NO (EEA), operator Fjord, provider vLLM"),
                            org.assertj.core.groups.Tuple.tuple("local", "US (US), operator host-2, provider souverain"),
                            org.assertj.core.groups.Tuple.tuple("local",
                                    "country unknown (jurisdiction unknown), operator host-3, provider souverain"));

            residency.setPolicy("org_acme", new ResidencyPolicy(true, List.of("EU", "US"), List.of(), List.of()), "u", null);
            allowed(residency, MISTRAL_US);
            allowed(residency, localInUs);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void countriesAndOperatorsNarrowThePolicy(TestDatabases kind) {
        try (Database db = kind.open(dir)) {
            Residency residency = residency(db);
            residency.setPolicy("org_acme", new ResidencyPolicy(true, List.of("EEA"), List.of(), List.of()), "u", null);
            allowed(residency, NORWAY);
            allowed(residency, EU_VLLM);  // every EU member state is in the EEA
            residency.setPolicy("org_acme", new ResidencyPolicy(true, List.of(), List.of("fr", "DE"), List.of()), "u", null);
            allowed(residency, EU_VLLM);
            refused(residency, NORWAY, "organization 'Acme' allows countries [FR, DE]; backend 'oslo' is in NO");
            refused(residency, localNowhere, "organization 'Acme' allows countries [FR, DE]; backend 'local' is in an "
                    + "unknown country (start serve with --country)");
            residency.setPolicy("org_acme", new ResidencyPolicy(true, List.of(), List.of(), List.of("ovhcloud", "host-1")),
                    "u", null);
            allowed(residency, EU_VLLM);
            allowed(residency, localInFrance);
            refused(residency, MISTRAL_US, "organization 'Acme' allows operators [ovhcloud, host-1]; backend "
                    + "'mistral-api' is operated by Azure");
            // Remote backends off again: even an operator on the list is refused.
            residency.setPolicy("org_acme", new ResidencyPolicy(false, List.of(), List.of(), List.of("OVHcloud")), "u", null);
            refused(residency, EU_VLLM, "organization 'Acme' allows no remote backend; backend 'eu-vllm' is remote "
                    + "(FR/Gravelines (EU), operator OVHcloud, provider vLLM)");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aCallWithoutAKnownOrganizationGetsTheDefaultPolicy(TestDatabases kind) {
        try (Database db = kind.open(dir)) {
            Residency residency = residency(db);
            residency.setPolicy("org_acme", new ResidencyPolicy(true, List.of(), List.of(), List.of()), "u", null);
            assertThatCode(() -> residency.check(null, localInUs, "m", "anonymous", null)).doesNotThrowAnyException();
            assertThatThrownBy(() -> residency.check(null, EU_VLLM, "m", "anonymous", null))
                    .hasMessageStartingWith("the default policy (the request has no organization) allows no remote backend");
            assertThatThrownBy(() -> residency.check("org_ghost", EU_VLLM, "m", "anonymous", null))
                    .hasMessageStartingWith("the default policy (organization 'org_ghost' is unknown) allows no remote");
            assertThatThrownBy(() -> residency.setPolicy("org_ghost", ResidencyPolicy.DEFAULT, "u", null))
                    .isInstanceOf(NoSuchElementException.class).hasMessage("organization 'org_ghost' does not exist");
            assertThatThrownBy(() -> residency.policy("org_ghost")).isInstanceOf(NoSuchElementException.class);
            assertThat(audit(db)).extracting(Denial::org, Denial::outcome).containsExactly(
                    org.assertj.core.groups.Tuple.tuple("org_acme", "SUCCESS"),
                    org.assertj.core.groups.Tuple.tuple(null, "DENIED"),
                    org.assertj.core.groups.Tuple.tuple("org_ghost", "DENIED"));
        }
    }

    @Test
    void aPolicyNamesOnlyWellFormedCodes() {
        assertThatThrownBy(() -> new ResidencyPolicy(true, List.of("E.U."), List.of(), List.of()))
                .hasMessageContaining("jurisdiction 'E.U.' must be a code such as EU");
        assertThatThrownBy(() -> new ResidencyPolicy(true, List.of(), List.of("France"), List.of()))
                .hasMessageContaining("country 'France' is not an ISO 3166 alpha-2 code");
        assertThatThrownBy(() -> new ResidencyPolicy(true, List.of(), List.of(), List.of(" ")))
                .hasMessageContaining("an operator must be a name");
        assertThat(new ResidencyPolicy(true, List.of("eu", "EU"), List.of("de"), List.of()))
                .isEqualTo(new ResidencyPolicy(true, List.of("EU"), List.of("DE"), List.of()));
    }

    @Test
    void thisHostIsPlacedByTheFlagsElseByTheLocale() {
        BackendLocation given = BackendLocation.thisHost("Acme IT", "de", "Frankfurt", List.of("ISO 27001"));
        assertThat(given).isEqualTo(new BackendLocation("souverain", "Acme IT", "DE", "Frankfurt", "EU",
                List.of("ISO 27001")));
        java.util.Locale previous = java.util.Locale.getDefault();
        try {
            java.util.Locale.setDefault(java.util.Locale.of("fr", "CH"));
            assertThat(BackendLocation.thisHost(null, null, null, List.of()))
                    .extracting(BackendLocation::country, BackendLocation::jurisdiction).containsExactly("CH", "CH");
            java.util.Locale.setDefault(java.util.Locale.ROOT);
            BackendLocation unknown = BackendLocation.thisHost(null, null, null, List.of());
            assertThat(unknown.country()).isNull();
            assertThat(unknown.jurisdiction()).isNull();
            assertThat(unknown.operator()).isNotBlank();
        } finally {
            java.util.Locale.setDefault(previous);
        }
    }
}

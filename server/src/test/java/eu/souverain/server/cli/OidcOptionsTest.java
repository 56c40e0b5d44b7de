package eu.souverain.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import eu.souverain.server.sso.OidcSettings;
import eu.souverain.server.tenancy.Role;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class OidcOptionsTest {

    private static OidcOptions parse(String... args) {
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs(args);
        return serve.oidc;
    }

    @Test
    void theSecretComesFromTheEnvironmentAndTheMappingsFromTheirOptions() {
        OidcSettings settings = parse("--oidc-issuer", "https://id.example.com/realms/corp", "--oidc-client-id", "souverain",
                "--oidc-client-secret", "env:CORP_SECRET", "--oidc-organization", "example.com=Alpha",
                "--oidc-organization", "*=Guests", "--oidc-role", "owner=G1,admin=G2,member=G3",
                "--oidc-role", "auditor=G4", "--oidc-role", "admin=G5")
                .settings(Map.of("CORP_SECRET", "s3cr3t")::get).orElseThrow();
        assertThat(settings.clientSecret()).isEqualTo("s3cr3t");
        assertThat(settings.issuer()).isEqualTo(URI.create("https://id.example.com/realms/corp"));
        assertThat(settings.providerName()).isEqualTo("id.example.com");
        assertThat(settings.organizations()).isEqualTo(Map.of("example.com", "Alpha", "*", "Guests"));
        assertThat(settings.roles()).isEqualTo(Map.of(Role.OWNER, Set.of("G1"), Role.ADMIN, Set.of("G2", "G5"),
                Role.MEMBER, Set.of("G3"), Role.AUDITOR, Set.of("G4")));
        assertThat(parse().settings(Map.<String, String>of()::get)).isEmpty();
    }

    @Test
    void aSecretInClearOnTheCommandLineIsRefusedWithoutBeingRepeated() {
        StringWriter err = new StringWriter();
        int exit = Main.run(new String[] {"serve", "--port", "0", "--oidc-issuer", "https://id.example.com",
                        "--oidc-client-id", "souverain", "--oidc-client-secret", "hunter2-in-clear",
                        "--oidc-organization", "*=default"},
                new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).contains("--oidc-client-secret must be env:VARIABLE").doesNotContain("hunter2");
    }

    @Test
    void mistakesAreNamed() {
        assertThatThrownBy(() -> parse("--oidc-issuer", "https://id.example.com", "--oidc-client-id", "c",
                "--oidc-client-secret", "env:SOUVERAIN_TEST_NOT_SET", "--oidc-organization", "*=default")
                .settings(Map.<String, String>of()::get))
                .hasMessageContaining("environment variable SOUVERAIN_TEST_NOT_SET is not set");
        assertThatThrownBy(() -> parse("--oidc-issuer", "https://id.example.com", "--oidc-client-id", "c",
                "--oidc-client-secret", "env:S").settings(Map.of("S", "x")::get))
                .hasMessageContaining("--oidc-organization");
        assertThatThrownBy(() -> parse("--oidc-issuer", "https://id.example.com", "--oidc-client-id", "c",
                "--oidc-client-secret", "env:S", "--oidc-organization", "*=default", "--oidc-role", "boss=G1")
                .settings(Map.of("S", "x")::get))
                .hasMessageContaining("unknown role 'boss'");
        assertThatThrownBy(() -> parse("--oidc-client-id", "c").settings(Map.<String, String>of()::get))
                .hasMessageContaining("need --oidc-issuer");
    }
}

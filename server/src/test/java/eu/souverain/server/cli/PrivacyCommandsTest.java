package eu.souverain.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.conversations.Conversations;
import eu.souverain.server.privacy.Privacy;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.Organization;
import eu.souverain.server.tenancy.Role;
import eu.souverain.server.tenancy.Tenancy;
import eu.souverain.server.vault.KeyFileMasterKey;
import eu.souverain.server.vault.Vault;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code souverain export} and {@code souverain erase} on the store of a server that holds it open. */
class PrivacyCommandsTest {

    @TempDir
    Path dir;

    private record Result(int exit, String out, String err) {
    }

    private Result run(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--data", dir.toString()));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(exit, out.toString(), err.toString());
    }

    @Test
    void exportsThenErasesAUserAndAnOrganization() throws Exception {
        try (Database database = Database.sqlite(dir.resolve(Database.SQLITE_FILE))) {
            AuditLog audit = new AuditLog(database, Clock.systemUTC());
            Tenancy tenancy = new Tenancy(database, audit, Clock.systemUTC());
            Vault vault = new Vault(database, KeyFileMasterKey.open(dir.resolve(KeyFileMasterKey.FILE)), audit,
                    Clock.systemUTC());
            Conversations conversations = Privacy.open(database, vault, audit, Clock.systemUTC()).conversations();
            Organization acme = tenancy.organizations().create("Acme", Actor.SYSTEM);
            String ann = tenancy.users().create(acme.id(), "ann@acme.example", Role.MEMBER, "correct horse battery staple",
                    Actor.SYSTEM, true).user().id();
            conversations.create(new Conversations.Owner(acme.id(), ann, ann), new Conversations.Fields("Ann's", null, null,
                    null, Map.of()), List.of(new Conversations.NewMessage("user", "the vault code is 4711", null)), null);
            conversations.create(new Conversations.Owner(acme.id(), "key_x", null), new Conversations.Fields("A key's",
                    null, null, null, Map.of()), List.of(), null);

            Result exported = run("export", "--user", ann);
            assertThat(exported.exit()).as(exported.err()).isZero();
            assertThat(exported.out()).contains("the vault code is 4711", "souverain.export.v1").doesNotContain("A key's");
            Result whole = run("export", "--org", "Acme");
            assertThat(whole.out()).contains("Ann's", "A key's");

            Result erased = run("erase", "--user", ann);
            assertThat(erased.exit()).as(erased.err()).isZero();
            assertThat(erased.out()).contains("1 conversations deleted", "1 data keys destroyed");
            assertThat(conversations.all(acme.id(), null)).extracting(Conversations.Conversation::title)
                    .containsExactly("A key's");
            assertThat(run("export", "--user", ann).out()).doesNotContain("4711");

            Result organization = run("erase", "--org", "Acme");
            assertThat(organization.exit()).as(organization.err()).isZero();
            assertThat(conversations.all(acme.id(), null)).isEmpty();
            int audited = database.jdbi().withHandle(h -> h.createQuery("SELECT COUNT(*) FROM audit_entries WHERE action IN"
                    + " ('privacy.erase.user', 'privacy.erase.organization', 'privacy.export')").mapTo(Integer.class).one());
            assertThat(audited).isEqualTo(5);

            assertThat(run("erase", "--user", "usr_nobody").err()).contains("no user 'usr_nobody'");
            assertThat(run("erase").exit()).isNotZero();
            assertThat(run("erase", "--user", ann, "--org", "Acme").exit()).isNotZero();
        }
    }
}

package eu.souverain.server.conversations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.conversations.Conversations.NewMessage;
import eu.souverain.server.conversations.Conversations.Owner;
import eu.souverain.server.privacy.Privacy;
import eu.souverain.server.privacy.Retention;
import eu.souverain.server.store.Database;
import eu.souverain.server.store.TestDatabases;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.MovableClock;
import eu.souverain.server.tenancy.Organization;
import eu.souverain.server.tenancy.Role;
import eu.souverain.server.tenancy.Tenancy;
import eu.souverain.server.tenancy.TenancyException;
import eu.souverain.server.vault.KeyFileMasterKey;
import eu.souverain.server.vault.Vault;
import eu.souverain.server.vault.VaultException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ConversationsTest {

    private static final String SECRET = "the merger with Dupont closes on 3 March";

    @TempDir
    Path dir;

    /** A store with organizations A (a user) and B, and the privacy parts over it. */
    private final class Store implements AutoCloseable {
        final MovableClock clock = new MovableClock();
        final Database database;
        final AuditLog audit;
        final Tenancy tenancy;
        final Vault vault;
        final Privacy privacy;
        final Organization a;
        final Organization b;
        final Owner alice;

        Store(TestDatabases kind) {
            database = kind.open(dir);
            audit = new AuditLog(database, clock);
            tenancy = new Tenancy(database, audit, clock);
            vault = new Vault(database, KeyFileMasterKey.open(dir.resolve("keys").resolve(KeyFileMasterKey.FILE)), audit,
                    clock);
            privacy = Privacy.open(database, vault, audit, clock);
            a = tenancy.organizations().create("Alpha", Actor.SYSTEM);
            b = tenancy.organizations().create("Beta", Actor.SYSTEM);
            String user = tenancy.users().create(a.id(), "alice@a.example", Role.MEMBER, "correct horse battery staple",
                    Actor.SYSTEM, true).user().id();
            alice = new Owner(a.id(), user, user);
        }

        Conversations conversations() {
            return privacy.conversations();
        }

        Conversations.Conversation create(Owner owner, String content) {
            return conversations().create(owner, new Conversations.Fields("Deal " + content, "You are terse.", "m", 0.2,
                    Map.of("project", "falcon")), List.of(new NewMessage("user", content, null)), null);
        }

        int count(String sql) {
            return database.jdbi().withHandle(h -> h.createQuery(sql).mapTo(Integer.class).one());
        }

        @Override
        public void close() {
            database.close();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aConversationReadsBackWhileTheDatabaseHoldsCiphertextOnly(TestDatabases kind) throws Exception {
        try (Store s = new Store(kind)) {
            Conversations.Conversation created = s.create(s.alice, SECRET);
            // The passage it cites names a document after the secret: sealed too.
            List<Map<String, Object>> references = List.of(Map.of("number", 1, "document_id", "doc_1",
                    "document_name", "Dupont contract.pdf", "page", 2, "score", 0.03));
            s.conversations().append(s.alice, created.id(), List.of(new NewMessage("assistant", "Noted: " + SECRET,
                    new Conversations.Answer("m", "local", "FR", 12, 5, null, references))), null);

            Conversations.Conversation read = s.conversations().get(s.alice, created.id(), "127.0.0.1");
            assertThat(read.title()).isEqualTo("Deal " + SECRET);
            assertThat(read.systemPrompt()).isEqualTo("You are terse.");
            assertThat(read.metadata()).containsEntry("project", "falcon");
            assertThat(read.messages()).extracting(Conversations.Message::content)
                    .containsExactly(SECRET, "Noted: " + SECRET);
            assertThat(read.messages().get(1).answer()).isEqualTo(new Conversations.Answer("m", "local", "FR", 12, 5, null,
                    references));

            // Every column of both tables, as the database returns it: no plaintext anywhere.
            String rows = s.database.jdbi().withHandle(h -> h.createQuery("SELECT * FROM conversations").mapToMap().list()
                    .toString() + h.createQuery("SELECT * FROM messages").mapToMap().list());
            assertThat(rows).doesNotContain("Dupont", "terse", "falcon");
            if (kind == TestDatabases.SQLITE) {
                s.database.jdbi().useHandle(h -> h.execute("PRAGMA wal_checkpoint(TRUNCATE)"));
                for (String needle : List.of("Dupont", "terse", "falcon")) {
                    String hex = HexFormat.of().formatHex(needle.getBytes(StandardCharsets.UTF_8));
                    for (Path file : List.of(dir.resolve(Database.SQLITE_FILE), dir.resolve(Database.SQLITE_FILE + "-wal"))) {
                        if (Files.exists(file)) {
                            assertThat(HexFormat.of().formatHex(Files.readAllBytes(file))).as(file + " holds " + needle)
                                    .doesNotContain(hex);
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aCiphertextCopiedIntoAnotherConversationOrOrganizationDoesNotDecrypt(TestDatabases kind) {
        try (Store s = new Store(kind)) {
            Conversations.Conversation first = s.create(s.alice, SECRET);
            Conversations.Conversation second = s.create(s.alice, "lunch at noon");
            // The first's message content copied over the second's message.
            s.database.useTransaction(h -> h.createUpdate("""
                    UPDATE messages SET content = (SELECT content FROM messages WHERE conversation_id = :first)
                    WHERE conversation_id = :second""").bind("first", first.id()).bind("second", second.id()).execute());
            assertThatThrownBy(() -> s.conversations().get(s.alice, second.id(), null)).isInstanceOf(VaultException.class);

            // An API key's conversation in B (B's organization key), its title copied into A's row.
            Owner key = new Owner(s.b.id(), "key_b", null);
            Conversations.Conversation theirs = s.create(key, "B's plans");
            s.database.useTransaction(h -> h.createUpdate("""
                    UPDATE conversations SET title = (SELECT title FROM conversations WHERE id = :theirs),
                        organization_id = :a, owner_id = :owner, user_id = :user WHERE id = :first""")
                    .bind("theirs", theirs.id()).bind("a", s.a.id()).bind("owner", s.alice.actorId())
                    .bind("user", s.alice.userId()).bind("first", first.id()).execute());
            assertThatThrownBy(() -> s.conversations().get(s.alice, first.id(), null)).isInstanceOf(VaultException.class);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void anotherOrganizationOrMemberFindsNothingAndTheTryAcrossOrganizationsIsAudited(TestDatabases kind) {
        try (Store s = new Store(kind)) {
            Conversations.Conversation created = s.create(s.alice, SECRET);
            Owner outsider = new Owner(s.b.id(), "key_b", null);
            Owner colleague = new Owner(s.a.id(), "usr_bob", "usr_bob");
            for (Owner other : List.of(outsider, colleague)) {
                assertThatThrownBy(() -> s.conversations().get(other, created.id(), null))
                        .isInstanceOf(TenancyException.class).hasMessageStartingWith("no conversation");
                assertThatThrownBy(() -> s.conversations().delete(other, created.id(), false, null))
                        .isInstanceOf(TenancyException.class).hasMessageStartingWith("no conversation");
                assertThat(s.conversations().list(other, null)).isEmpty();
            }
            // An administrator of B may erase B's conversations, never A's.
            assertThatThrownBy(() -> s.conversations().delete(outsider, created.id(), true, null))
                    .isInstanceOf(TenancyException.class).hasMessageStartingWith("no conversation");
            assertThat(s.count("SELECT COUNT(*) FROM audit_entries WHERE outcome = 'DENIED' AND organization_id = '"
                    + s.b.id() + "' AND resource = '" + created.id() + "'")).isEqualTo(3);
            // An administrator of A may.
            s.conversations().delete(colleague, created.id(), true, null);
            assertThat(s.count("SELECT COUNT(*) FROM messages")).isZero();
            assertThat(s.count("SELECT COUNT(*) FROM conversations")).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void listsNewestFirstAndFiltersByTitle(TestDatabases kind) {
        try (Store s = new Store(kind)) {
            Conversations.Conversation older = s.create(s.alice, "budget");
            s.clock.advance(Duration.ofMinutes(1));
            Conversations.Conversation newer = s.create(s.alice, "holidays");
            assertThat(s.conversations().list(s.alice, null)).extracting(Conversations.Conversation::id)
                    .containsExactly(newer.id(), older.id());
            assertThat(s.conversations().list(s.alice, "BUDG")).extracting(Conversations.Conversation::id)
                    .containsExactly(older.id());
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void retentionPurgesWhatIsOlderThanTheOrganizationKeepsAndAuditsIt(TestDatabases kind) {
        try (Store s = new Store(kind)) {
            Conversations.Conversation old = s.create(s.alice, "old");
            Owner keyB = new Owner(s.b.id(), "key_b", null);
            Conversations.Conversation bOld = s.create(keyB, "B keeps this");
            s.clock.advance(Duration.ofDays(20));
            Conversations.Conversation recent = s.create(s.alice, "recent");
            s.conversations().append(s.alice, recent.id(), List.of(new NewMessage("user", "more", null)), null);
            s.privacy.retention().set(s.a.id(), 10, Actor.SYSTEM);
            assertThat(s.privacy.retention().days(s.a.id())).contains(10);
            assertThat(s.privacy.retention().days(s.b.id())).isEmpty();

            List<Retention.Purged> purged = s.privacy.retention().purge();

            assertThat(purged).containsExactly(new Retention.Purged(s.a.id(), 1, 1, 0, 0));
            assertThat(s.conversations().list(s.alice, null)).extracting(Conversations.Conversation::id)
                    .containsExactly(recent.id());
            assertThat(s.conversations().get(s.alice, recent.id(), null).messages()).hasSize(2);
            assertThat(s.conversations().get(keyB, bOld.id(), null).messages()).hasSize(1);
            assertThat(s.count("SELECT COUNT(*) FROM conversations WHERE id = '" + old.id() + "'")).isZero();
            assertThat(s.count("SELECT COUNT(*) FROM audit_entries WHERE action = 'retention.purge' AND organization_id = '"
                    + s.a.id() + "'")).isEqualTo(1);
            assertThatThrownBy(() -> s.privacy.retention().set(s.a.id(), 0, Actor.SYSTEM))
                    .isInstanceOf(TenancyException.class).hasMessageContaining("between 1 and");
        }
    }

    @Test
    void afterErasureABackupTakenBeforeNoLongerDecrypts() throws Exception {
        Path backup = dir.resolve("backup");
        String conversationId;
        String userId;
        String orgId;
        try (Store s = new Store(TestDatabases.SQLITE)) {
            conversationId = s.create(s.alice, SECRET).id();
            Owner keyA = new Owner(s.a.id(), "key_a", null);
            String keyConversation = s.create(keyA, "kept").id();
            userId = s.alice.userId();
            orgId = s.a.id();
            Files.createDirectories(backup);
            s.database.jdbi().useHandle(h -> h.execute("VACUUM INTO '" + backup.resolve("souverain.db") + "'"));

            var erased = s.privacy.erasure().user(s.a.id(), s.alice.userId(), Actor.SYSTEM);

            assertThat(erased.conversations()).isEqualTo(1);
            assertThat(s.count("SELECT COUNT(*) FROM conversations WHERE owner_id = '" + userId + "'")).isZero();
            // What the user did not own stays readable under the new master key.
            assertThat(s.conversations().get(keyA, keyConversation, null).title()).isEqualTo("Deal kept");
            assertThat(s.count("SELECT COUNT(*) FROM audit_entries WHERE action = 'privacy.erase.user'")).isEqualTo(1);
        }
        // The backup, opened with the installation's master key file as it is now.
        try (Database old = Database.sqlite(backup.resolve("souverain.db"))) {
            MovableClock clock = new MovableClock();
            AuditLog audit = new AuditLog(old, clock);
            Vault vault = new Vault(old, KeyFileMasterKey.open(dir.resolve("keys").resolve(KeyFileMasterKey.FILE)), audit,
                    clock);
            Conversations conversations = new Conversations(old, vault, audit, clock);
            assertThatThrownBy(() -> conversations.get(new Owner(orgId, userId, userId), conversationId, null))
                    .isInstanceOf(VaultException.class).hasMessageContaining("master key");
        }
    }
}

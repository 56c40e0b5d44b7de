package eu.souverain.server.conversations;

import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.provenance.SignedStatement;
import eu.souverain.server.store.Database;
import eu.souverain.server.store.RecordIds;
import eu.souverain.server.store.Metadata;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.Labels;
import eu.souverain.server.tenancy.TenancyException;
import eu.souverain.server.vault.Vault;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * Stored conversations and their messages, in the tables {@code conversations} and {@code
 * messages}. Titles, system prompts, metadata and message contents are encrypted with the {@link
 * Vault} under the owner's data key when a user owns the conversation, else under the
 * organization's (an API key's conversations), each bound to its own record id: the database holds
 * ciphertext only, and a value copied into another organization, conversation or message no longer
 * decrypts.
 *
 * <p>A conversation is found only inside its organization and, for reading and writing, only by its
 * owner; erasing also by an organization's administrators. Any other id answers as missing, and a
 * try across organizations is audited DENIED.
 */
public final class Conversations {

    public static final int MAX_TITLE_CHARS = 200;

    private final Database database;
    private final Vault vault;
    private final AuditLog audit;
    private final Clock clock;

    public Conversations(Database database, Vault vault, AuditLog audit, Clock clock) {
        this.database = database;
        this.vault = vault;
        this.audit = audit;
        this.clock = clock;
    }

    /**
     * Who owns a conversation: an organization and an actor in it; {@code userId} is the actor when a
     * user owns it (its data key encrypts), null for an API key (the organization's key encrypts).
     */
    public record Owner(String organizationId, String actorId, String userId) {
    }

    /** The values a new conversation starts with, or that an update changes (null: unchanged). */
    public record Fields(String title, String systemPrompt, String model, Double temperature, Map<String, String> metadata) {
    }

    public record Conversation(String id, String organizationId, String ownerId, String userId, String title,
                               String systemPrompt, Map<String, String> metadata, String model, Double temperature,
                               Instant createdAt, Instant updatedAt, List<Message> messages) {
    }

    /**
     * Who answered a message: the model, the backend and its location, the tokens it counted, and
     * the signed statement that the answer is AI-generated (null for an answer kept before
     * statements were, or in the sovereignty facts, which open no other ciphertext), and the
     * document passages it cites, as the answer's {@code references} list without their text
     * (empty when it cites none).
     */
    public record Answer(String model, String backend, String backendLocation, int promptTokens, int completionTokens,
                         SignedStatement provenance, List<Map<String, Object>> references) {

        public Answer {
            references = references == null ? List.of() : List.copyOf(references);
        }
    }

    /** A kept message; {@code interrupted} marks where an answer was cut off before it was whole (its content empty). */
    public record Message(String id, int seq, String role, String content, Answer answer, Instant createdAt,
                          boolean interrupted) {
    }

    /**
     * A conversation as the store holds it, read without decrypting its title or messages: whose
     * it is, when it was made and touched, and for each message its role, time, who answered it
     * and the references it cites.
     */
    public record Stored(String id, String organizationId, String ownerId, String userId, Instant createdAt,
                         Instant updatedAt, List<StoredMessage> messages) {
    }

    public record StoredMessage(String id, int seq, String role, Answer answer, Instant createdAt) {
    }

    /** A message to append: its role and text, and for a model's answer who gave it (else null). */
    public record NewMessage(String role, String content, Answer answer, boolean interrupted) {

        public NewMessage(String role, String content, Answer answer) {
            this(role, content, answer, false);
        }

        /** The mark of an answer cut off before it was whole, in its place. */
        public static NewMessage interruptedAnswer() {
            return new NewMessage("assistant", "", null, true);
        }

        public NewMessage {
            if (role == null || role.isBlank()) {
                throw TenancyException.invalid("role", "a message needs a role");
            }
            if (content == null) {
                throw TenancyException.invalid("content", "a message needs a content");
            }
        }
    }

    /** Creates a conversation with {@code messages}; audited "conversations.create". */
    public Conversation create(Owner owner, Fields fields, List<NewMessage> messages, String clientIp) {
        String id = RecordIds.mixedCase("conv_", 22);
        String title = fields.title() == null ? "" : checkedTitle(fields.title());
        byte[] sealedTitle = seal(owner, id + "/title", title);
        byte[] sealedSystem = fields.systemPrompt() == null ? null : seal(owner, id + "/system", fields.systemPrompt());
        byte[] sealedMetadata = fields.metadata() == null || fields.metadata().isEmpty() ? null
                : seal(owner, id + "/metadata", Metadata.json(fields.metadata()));
        List<Sealed> sealed = sealAll(owner, id, messages);
        long now = clock.millis();
        database.useTransaction(h -> {
            h.createUpdate("""
                            INSERT INTO conversations (id, organization_id, owner_id, user_id, title, system_prompt,
                                metadata, model, temperature, created_at, updated_at)
                            VALUES (:id, :org, :owner, :user, :title, :system, :metadata, :model, :temperature, :now, :now)""")
                    .bind("id", id).bind("org", owner.organizationId()).bind("owner", owner.actorId())
                    .bind("user", owner.userId()).bind("title", sealedTitle).bind("system", sealedSystem)
                    .bind("metadata", sealedMetadata).bind("model", fields.model()).bind("temperature", fields.temperature())
                    .bind("now", now).execute();
            insert(h, id, 0, sealed, now);
            audit.append(h, AuditEvent.of(owner.organizationId(), owner.actorId(), "conversations.create", id, null,
                    AuditEvent.Outcome.SUCCESS));
        });
        return read(owner, id, new Actor(owner.actorId(), clientIp), false);
    }

    /** The owner's conversations, newest first, without messages; {@code titleFilter} keeps those whose title contains it. */
    public List<Conversation> list(Owner owner, String titleFilter) {
        List<Conversation> all = database.jdbi().withHandle(h -> h.createQuery("""
                        SELECT * FROM conversations WHERE organization_id = :org AND owner_id = :owner
                        ORDER BY updated_at DESC, id DESC""")
                .bind("org", owner.organizationId()).bind("owner", owner.actorId())
                .map((rs, ctx) -> conversation(rs, List.of())).list());
        if (titleFilter == null || titleFilter.isBlank()) {
            return all;
        }
        // The titles are ciphertext: the filter runs on them decrypted, here.
        String needle = titleFilter.toLowerCase(Locale.ROOT);
        return all.stream().filter(c -> c.title().toLowerCase(Locale.ROOT).contains(needle)).toList();
    }

    /** The owner's conversation {@code id} with its messages; audited "conversations.read". */
    public Conversation get(Owner owner, String id, String clientIp) {
        Actor actor = new Actor(owner.actorId(), clientIp);
        return read(owner, id, actor, true);
    }

    private Conversation read(Owner owner, String id, Actor actor, boolean audited) {
        Row row = owned(owner, id, actor, "conversations.read", false);
        List<Message> messages = database.jdbi().withHandle(h -> h.createQuery(
                        "SELECT * FROM messages WHERE conversation_id = :id ORDER BY seq")
                .bind("id", id).map((rs, ctx) -> message(rs, row)).list());
        if (audited) {
            audit.append(AuditEvent.of(owner.organizationId(), actor.id(), "conversations.read", id, actor.clientIp(),
                    AuditEvent.Outcome.SUCCESS));
        }
        return row.conversation(this, messages);
    }

    /**
     * The owner's conversation {@code id} as stored, its contents left encrypted: for the
     * sovereignty facts of one conversation. Only the answers' references are opened, so that the
     * facts can name the libraries they cite; no title or message is, so it is not audited as a read.
     */
    public Stored stored(Owner owner, String id, String clientIp) {
        Row row = owned(owner, id, new Actor(owner.actorId(), clientIp), "conversations.sovereignty", false);
        List<StoredMessage> messages = database.jdbi().withHandle(h -> h.createQuery(
                        "SELECT id, seq, role, model, backend, backend_location, prompt_tokens, completion_tokens, created_at,"
                                + " answer_references FROM messages WHERE conversation_id = :id ORDER BY seq")
                .bind("id", id).map((rs, ctx) -> {
                    String references = open(row, row.id() + "/" + rs.getString("id") + "/references",
                            rs.getBytes("answer_references"));
                    return new StoredMessage(rs.getString("id"), rs.getInt("seq"), rs.getString("role"),
                            answer(rs, null, references == null ? List.of() : References.read(references)),
                            Instant.ofEpochMilli(rs.getLong("created_at")));
                }).list());
        return new Stored(row.id(), row.organizationId(), row.ownerId(), row.userId(), Instant.ofEpochMilli(row.createdAt()),
                Instant.ofEpochMilli(row.updatedAt()), messages);
    }

    /** Changes the title, system prompt, model or temperature (null fields stay); audited "conversations.update". */
    public Conversation update(Owner owner, String id, Fields fields, String clientIp) {
        Actor actor = new Actor(owner.actorId(), clientIp);
        Row row = owned(owner, id, actor, "conversations.update", false);
        Owner sealer = row.owner();
        byte[] title = fields.title() == null ? null : seal(sealer, id + "/title", checkedTitle(fields.title()));
        byte[] system = fields.systemPrompt() == null ? null : seal(sealer, id + "/system", fields.systemPrompt());
        long now = clock.millis();
        database.useTransaction(h -> {
            h.createUpdate("""
                            UPDATE conversations SET title = COALESCE(:title, title),
                                system_prompt = COALESCE(:system, system_prompt), model = COALESCE(:model, model),
                                temperature = COALESCE(:temperature, temperature), updated_at = :now
                            WHERE id = :id""")
                    .bind("title", title).bind("system", system).bind("model", fields.model())
                    .bind("temperature", fields.temperature()).bind("now", now).bind("id", id).execute();
            audit.append(h, AuditEvent.of(owner.organizationId(), actor.id(), "conversations.update", id,
                    actor.clientIp(), AuditEvent.Outcome.SUCCESS));
        });
        return read(owner, id, actor, false);
    }

    /** Appends {@code messages} to the owner's conversation {@code id}; audited "conversations.append". */
    public List<Message> append(Owner owner, String id, List<NewMessage> messages, String clientIp) {
        Actor actor = new Actor(owner.actorId(), clientIp);
        Row row = owned(owner, id, actor, "conversations.append", false);
        List<Sealed> sealed = sealAll(row.owner(), id, messages);
        long now = clock.millis();
        int first = database.inTransaction(h -> {
            int next = h.createQuery("SELECT COALESCE(MAX(seq) + 1, 0) FROM messages WHERE conversation_id = :id")
                    .bind("id", id).mapTo(Integer.class).one();
            insert(h, id, next, sealed, now);
            h.createUpdate("UPDATE conversations SET updated_at = :now WHERE id = :id").bind("now", now).bind("id", id)
                    .execute();
            audit.append(h, AuditEvent.of(owner.organizationId(), actor.id(), "conversations.append", id,
                    actor.clientIp(), AuditEvent.Outcome.SUCCESS));
            return next;
        });
        List<Message> appended = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            NewMessage m = messages.get(i);
            appended.add(new Message(sealed.get(i).id(), first + i, m.role(), m.content(), m.answer(),
                    Instant.ofEpochMilli(now), m.interrupted()));
        }
        return appended;
    }

    /**
     * Removes message {@code messageId} of the owner's conversation {@code id} and every message
     * after it, so that the conversation goes on from just before it (a regenerated answer, an
     * edited question); audited "conversations.truncate". A message of another conversation answers
     * as missing.
     */
    public int truncate(Owner owner, String id, String messageId, String clientIp) {
        Actor actor = new Actor(owner.actorId(), clientIp);
        owned(owner, id, actor, "conversations.truncate", false);
        long now = clock.millis();
        return database.inTransaction(h -> {
            Integer seq = h.createQuery("SELECT seq FROM messages WHERE conversation_id = :id AND id = :message")
                    .bind("id", id).bind("message", messageId).mapTo(Integer.class).findOne()
                    .orElseThrow(() -> TenancyException.notFound("message", messageId));
            int removed = h.createUpdate("DELETE FROM messages WHERE conversation_id = :id AND seq >= :seq")
                    .bind("id", id).bind("seq", seq).execute();
            h.createUpdate("UPDATE conversations SET updated_at = :now WHERE id = :id").bind("now", now).bind("id", id)
                    .execute();
            audit.append(h, AuditEvent.of(owner.organizationId(), actor.id(), "conversations.truncate",
                    id + "/" + messageId, actor.clientIp(), AuditEvent.Outcome.SUCCESS));
            return removed;
        });
    }

    /**
     * Erases conversation {@code id} and its messages: its owner may, and so may an administrator
     * of its organization ({@code administrator}). Audited "conversations.delete".
     */
    public void delete(Owner by, String id, boolean administrator, String clientIp) {
        Actor actor = new Actor(by.actorId(), clientIp);
        owned(by, id, actor, "conversations.delete", administrator);
        database.useTransaction(h -> {
            h.createUpdate("DELETE FROM messages WHERE conversation_id = :id").bind("id", id).execute();
            h.createUpdate("DELETE FROM conversations WHERE id = :id").bind("id", id).execute();
            audit.append(h, AuditEvent.of(by.organizationId(), actor.id(), "conversations.delete", id, actor.clientIp(),
                    AuditEvent.Outcome.SUCCESS));
        });
    }

    /** Every conversation of {@code organizationId} owned by {@code ownerId} (every one when null), with messages. */
    public List<Conversation> all(String organizationId, String ownerId) {
        return database.jdbi().withHandle(h -> {
            List<Row> rows = h.createQuery("SELECT * FROM conversations WHERE organization_id = :org"
                            + (ownerId == null ? "" : " AND owner_id = :owner") + " ORDER BY created_at, id")
                    .bind("org", organizationId).bindMap(ownerId == null ? Map.of() : Map.of("owner", ownerId))
                    .map((rs, ctx) -> row(rs)).list();
            List<Conversation> conversations = new ArrayList<>();
            for (Row row : rows) {
                List<Message> messages = h.createQuery("SELECT * FROM messages WHERE conversation_id = :id ORDER BY seq")
                        .bind("id", row.id()).map((rs, ctx) -> message(rs, row)).list();
                conversations.add(row.conversation(this, messages));
            }
            return conversations;
        });
    }

    /**
     * Deletes, in {@code h}'s transaction, the conversations of {@code organizationId} owned by
     * {@code ownerId} (all of them when null) with their messages; returns how many conversations.
     */
    public static int deleteAll(Handle h, String organizationId, String ownerId) {
        String owned = ownerId == null ? "" : " AND owner_id = :owner";
        Map<String, Object> owner = ownerId == null ? Map.of() : Map.of("owner", ownerId);
        h.createUpdate("DELETE FROM messages WHERE conversation_id IN (SELECT id FROM conversations"
                        + " WHERE organization_id = :org" + owned + ")")
                .bind("org", organizationId).bindMap(owner).execute();
        return h.createUpdate("DELETE FROM conversations WHERE organization_id = :org" + owned)
                .bind("org", organizationId).bindMap(owner).execute();
    }

    /** What {@link #deleteOlderThan} deleted. */
    public record Deleted(int messages, int conversations) {}

    /**
     * Deletes, in {@code h}'s transaction, the messages of {@code organizationId} written before
     * {@code cutoff} (epoch ms), and its conversations not updated since, with all their messages.
     */
    public static Deleted deleteOlderThan(Handle h, String organizationId, long cutoff) {
        int messages = h.createUpdate("""
                        DELETE FROM messages WHERE created_at < :cutoff AND conversation_id IN
                            (SELECT id FROM conversations WHERE organization_id = :org)""")
                .bind("cutoff", cutoff).bind("org", organizationId).execute();
        h.createUpdate("""
                        DELETE FROM messages WHERE conversation_id IN (SELECT id FROM conversations
                            WHERE organization_id = :org AND updated_at < :cutoff)""")
                .bind("cutoff", cutoff).bind("org", organizationId).execute();
        int conversations = h.createUpdate("DELETE FROM conversations WHERE organization_id = :org AND updated_at < :cutoff")
                .bind("cutoff", cutoff).bind("org", organizationId).execute();
        return new Deleted(messages, conversations);
    }

    /** The organization of the conversations {@code ownerId} left behind, if any. */
    public static Optional<String> organizationOfOwner(Handle h, String ownerId) {
        return h.createQuery("SELECT organization_id FROM conversations WHERE owner_id = :id").bind("id", ownerId)
                .mapTo(String.class).findFirst();
    }

    /** The conversation row, once {@code owner} may act on it; else the same "not found" as a missing id. */
    private Row owned(Owner owner, String id, Actor actor, String action, boolean administrator) {
        Optional<Row> found = database.jdbi().withHandle(h -> h.createQuery("SELECT * FROM conversations WHERE id = :id")
                .bind("id", id).map((rs, ctx) -> row(rs)).findOne());
        // An id of another organization and one of none are audited alike: the same work for both.
        if (found.isEmpty() || !found.get().organizationId().equals(owner.organizationId())) {
            audit.append(AuditEvent.of(owner.organizationId(), actor.id(), action, id, actor.clientIp(),
                    AuditEvent.Outcome.DENIED));
            found = Optional.empty();
        }
        if (found.isPresent() && !administrator && !found.get().ownerId().equals(owner.actorId())) {
            audit.append(AuditEvent.of(owner.organizationId(), actor.id(), action, id, actor.clientIp(),
                    AuditEvent.Outcome.DENIED));
            found = Optional.empty();
        }
        return found.orElseThrow(() -> TenancyException.notFound("conversation", id));
    }

    private record Sealed(String id, String role, byte[] content, byte[] provenance, byte[] references,
                          Answer answer, boolean interrupted) {
    }

    private List<Sealed> sealAll(Owner owner, String conversationId, List<NewMessage> messages) {
        List<Sealed> sealed = new ArrayList<>();
        for (NewMessage m : messages) {
            String id = RecordIds.mixedCase("msg_", 22);
            SignedStatement statement = m.answer() == null ? null : m.answer().provenance();
            List<Map<String, Object>> references = m.answer() == null ? List.of() : m.answer().references();
            sealed.add(new Sealed(id, m.role(), seal(owner, conversationId + "/" + id, m.content()),
                    statement == null ? null : seal(owner, conversationId + "/" + id + "/provenance", statement.token()),
                    references.isEmpty() ? null : seal(owner, conversationId + "/" + id + "/references",
                            References.json(references)),
                    m.answer(), m.interrupted()));
        }
        return sealed;
    }

    private static void insert(Handle h, String conversationId, int firstSeq, List<Sealed> messages, long now) {
        int seq = firstSeq;
        for (Sealed m : messages) {
            Answer a = m.answer();
            h.createUpdate("""
                            INSERT INTO messages (id, conversation_id, seq, role, content, model, backend, backend_location,
                                prompt_tokens, completion_tokens, created_at, interrupted, provenance, answer_references)
                            VALUES (:id, :conversation, :seq, :role, :content, :model, :backend, :location, :prompt,
                                :completion, :now, :interrupted, :provenance, :references)""")
                    .bind("id", m.id()).bind("conversation", conversationId).bind("seq", seq++).bind("role", m.role())
                    .bind("content", m.content()).bind("model", a == null ? null : a.model())
                    .bind("backend", a == null ? null : a.backend()).bind("location", a == null ? null : a.backendLocation())
                    .bind("prompt", a == null ? null : a.promptTokens())
                    .bind("completion", a == null ? null : a.completionTokens()).bind("now", now)
                    .bind("interrupted", m.interrupted()).bind("provenance", m.provenance())
                    .bind("references", m.references()).execute();
        }
    }

    private byte[] seal(Owner owner, String recordId, String text) {
        return vault.encrypt(owner.organizationId(), owner.userId(), recordId, text.getBytes(StandardCharsets.UTF_8));
    }

    private String open(Row row, String recordId, byte[] ciphertext) {
        return ciphertext == null ? null : new String(vault.decrypt(row.organizationId(), row.userId(), recordId, ciphertext),
                StandardCharsets.UTF_8);
    }

    private static String checkedTitle(String title) {
        if (title.length() > MAX_TITLE_CHARS) {
            throw TenancyException.invalid("title", "a title has at most " + MAX_TITLE_CHARS + " characters, this one "
                    + title.length());
        }
        return Labels.checked("title", title);
    }

    /** A conversation row as stored: ciphertexts not yet opened. */
    private record Row(String id, String organizationId, String ownerId, String userId, byte[] title, byte[] systemPrompt,
                       byte[] metadata, String model, Double temperature, long createdAt, long updatedAt) {
        Owner owner() {
            return new Owner(organizationId, ownerId, userId);
        }

        Conversation conversation(Conversations store, List<Message> messages) {
            String meta = store.open(this, id + "/metadata", metadata);
            return new Conversation(id, organizationId, ownerId, userId, store.open(this, id + "/title", title),
                    store.open(this, id + "/system", systemPrompt), meta == null ? Map.of() : Metadata.read(meta), model,
                    temperature, Instant.ofEpochMilli(createdAt), Instant.ofEpochMilli(updatedAt), messages);
        }
    }

    private static Row row(ResultSet rs) throws SQLException {
        double temperature = rs.getDouble("temperature");
        Double t = rs.wasNull() ? null : temperature;
        return new Row(rs.getString("id"), rs.getString("organization_id"), rs.getString("owner_id"),
                rs.getString("user_id"), rs.getBytes("title"), rs.getBytes("system_prompt"), rs.getBytes("metadata"),
                rs.getString("model"), t, rs.getLong("created_at"), rs.getLong("updated_at"));
    }

    private Conversation conversation(ResultSet rs, List<Message> messages) throws SQLException {
        return row(rs).conversation(this, messages);
    }

    private Message message(ResultSet rs, Row row) throws SQLException {
        String id = rs.getString("id");
        String token = open(row, row.id() + "/" + id + "/provenance", rs.getBytes("provenance"));
        String references = open(row, row.id() + "/" + id + "/references", rs.getBytes("answer_references"));
        return new Message(id, rs.getInt("seq"), rs.getString("role"), open(row, row.id() + "/" + id,
                rs.getBytes("content")), answer(rs, token == null ? null : SignedStatement.fromToken(token),
                references == null ? List.of() : References.read(references)),
                Instant.ofEpochMilli(rs.getLong("created_at")), rs.getBoolean("interrupted"));
    }

    /** Who answered the message of this row, with its statement and references when opened, or null when no model did. */
    private static Answer answer(ResultSet rs, SignedStatement provenance, List<Map<String, Object>> references)
            throws SQLException {
        String backend = rs.getString("backend");
        String model = rs.getString("model");
        return backend == null && model == null ? null : new Answer(model, backend, rs.getString("backend_location"),
                rs.getInt("prompt_tokens"), rs.getInt("completion_tokens"), provenance, references);
    }
}

package eu.souverain.server.documents;

import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.TenancyException;
import eu.souverain.server.vault.Vault;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/**
 * The documents of libraries, in the table {@code library_documents}: each file's name, original
 * bytes and extracted text encrypted under its organization's data key (bound to the document),
 * with what the platform needs in clear to list them and report on them: type, size, status,
 * pages, chunks, language; and its attributes, sealed too. Access is the library's: callers check
 * it with {@link Libraries} first.
 */
final class LibraryDocuments {

    static final String RUNNING = "Running";
    static final String COMPLETED = "Completed";
    static final String FAILED = "Failed";

    /** A document without its contents; {@code attributes} as their JSON, or null for none. */
    record Info(String id, String libraryId, String organizationId, String name, String extension, String mimeType,
                long size, String uploadedBy, boolean uploadedByUser, String status, String failure, Integer pages,
                Integer chunks, String language, Long textSize, Instant createdAt, Instant processedAt,
                String attributes) {
    }

    private final Database database;
    private final Vault vault;
    private final Clock clock;

    LibraryDocuments(Database database, Vault vault, Clock clock) {
        this.database = database;
        this.vault = vault;
        this.clock = clock;
    }

    /** Stores a new document of {@code libraryId}, status Running, in {@code h}'s transaction; returns its id. */
    String insert(Handle h, Principal caller, String libraryId, String id, byte[] sealedName, byte[] sealedOriginal,
                  String mimeType, String extension, long size) {
        h.createUpdate("""
                        INSERT INTO library_documents (id, library_id, organization_id, name, extension, mime_type, size,
                            uploaded_by, uploaded_by_user, status, original, created_at)
                        VALUES (:id, :library, :org, :name, :extension, :mime, :size, :by, :user, :status, :original,
                            :now)""")
                .bind("id", id).bind("library", libraryId).bind("org", caller.organizationId()).bind("name", sealedName)
                .bind("extension", extension).bind("mime", mimeType).bind("size", size).bind("by", caller.actorId())
                .bind("user", caller.isUser() ? 1 : 0).bind("status", RUNNING).bind("original", sealedOriginal)
                .bind("now", clock.millis()).execute();
        return id;
    }

    static String newId() {
        return UUID.randomUUID().toString();
    }

    byte[] sealName(String organizationId, String id, String name) {
        return vault.encrypt(organizationId, null, id + "/name", name.getBytes(StandardCharsets.UTF_8));
    }

    byte[] sealOriginal(String organizationId, String id, byte[] original) {
        return vault.encrypt(organizationId, null, id + "/original", original);
    }

    /**
     * Renames {@code document} (when {@code name} is not null) and replaces its attributes (when
     * {@code changeAttributes}; {@code attributes} null clears them), in {@code h}'s transaction.
     */
    void update(Handle h, Info document, String name, boolean changeAttributes, String attributes) {
        byte[] sealedName = name == null ? null : sealName(document.organizationId(), document.id(), name);
        byte[] sealedAttributes = attributes == null ? null : vault.encrypt(document.organizationId(), null,
                document.id() + "/attributes", attributes.getBytes(StandardCharsets.UTF_8));
        if (sealedName != null) {
            h.createUpdate("UPDATE library_documents SET name = :name WHERE id = :id").bind("name", sealedName)
                    .bind("id", document.id()).execute();
        }
        if (changeAttributes) {
            h.createUpdate("UPDATE library_documents SET attributes = :attributes WHERE id = :id")
                    .bind("attributes", sealedAttributes).bind("id", document.id()).execute();
        }
    }

    /** The names of {@code ids} (those still there), for results found in an index that keeps the names they had. */
    Map<String, String> names(Collection<String> ids) {
        if (ids.isEmpty()) {
            return Map.of();
        }
        Map<String, String> names = new HashMap<>();
        database.jdbi().useHandle(h -> h.createQuery(
                        "SELECT id, organization_id, name FROM library_documents WHERE id IN (<ids>)")
                .bindList("ids", List.copyOf(ids))
                .map((rs, ctx) -> Map.entry(rs.getString("id"), new String(vault.decrypt(rs.getString("organization_id"),
                        null, rs.getString("id") + "/name", rs.getBytes("name")), StandardCharsets.UTF_8)))
                .forEach(e -> names.put(e.getKey(), e.getValue())));
        return names;
    }
    /** The documents of {@code libraryId} whose name holds {@code search} (all when null), sorted as asked. */
    List<Info> list(String libraryId, String search, String sortBy, boolean ascending) {
        List<Info> all = database.jdbi().withHandle(h -> h.createQuery(
                        "SELECT " + COLUMNS + " FROM library_documents WHERE library_id = :library")
                .bind("library", libraryId).map((rs, ctx) -> info(rs)).list());
        // Names are ciphertext: the search runs on them decrypted, here.
        String needle = search == null || search.isBlank() ? null : search.toLowerCase(Locale.ROOT);
        Comparator<Info> order = "name".equals(sortBy)
                ? Comparator.comparing((Info i) -> i.name().toLowerCase(Locale.ROOT)).thenComparing(Info::id)
                : Comparator.comparing(Info::createdAt).thenComparing(Info::id);
        return all.stream().filter(i -> needle == null || i.name().toLowerCase(Locale.ROOT).contains(needle))
                .sorted(ascending ? order : order.reversed()).toList();
    }

    /** Document {@code id} of {@code libraryId}, if it is there. */
    Optional<Info> find(String libraryId, String id) {
        return database.jdbi().withHandle(h -> h.createQuery(
                        "SELECT " + COLUMNS + " FROM library_documents WHERE id = :id AND library_id = :library")
                .bind("id", id).bind("library", libraryId).map((rs, ctx) -> info(rs)).findOne());
    }

    Info require(String libraryId, String id) {
        return find(libraryId, id).orElseThrow(() -> TenancyException.notFound("document", id));
    }

    /** Every document of {@code organizationId}, for reports, exports and restarts. */
    List<Info> all(String organizationId) {
        return database.jdbi().withHandle(h -> h.createQuery(
                        "SELECT " + COLUMNS + " FROM library_documents WHERE organization_id = :org ORDER BY created_at, id")
                .bind("org", organizationId).map((rs, ctx) -> info(rs)).list());
    }

    byte[] original(Info document) {
        byte[] sealed = database.jdbi().withHandle(h -> h.createQuery(
                "SELECT original FROM library_documents WHERE id = :id").bind("id", document.id())
                .mapTo(byte[].class).one());
        return vault.decrypt(document.organizationId(), null, document.id() + "/original", sealed);
    }

    /** The extracted text, once processing completed. */
    Optional<String> text(Info document) {
        byte[] sealed = database.jdbi().withHandle(h -> h.createQuery(
                "SELECT text FROM library_documents WHERE id = :id").bind("id", document.id())
                .mapTo(byte[].class).findOne().orElse(null));
        return Optional.ofNullable(sealed).map(s -> new String(
                vault.decrypt(document.organizationId(), null, document.id() + "/text", s), StandardCharsets.UTF_8));
    }

    /** Processing went through: the text and what it gave. */
    void completed(Info document, String text, int pages, int chunks, String language) {
        byte[] sealed = vault.encrypt(document.organizationId(), null, document.id() + "/text",
                text.getBytes(StandardCharsets.UTF_8));
        database.useTransaction(h -> h.createUpdate("""
                        UPDATE library_documents SET status = :status, text = :text, text_size = :size, pages = :pages,
                            chunks = :chunks, language = :language, failure = NULL, processed_at = :now WHERE id = :id""")
                .bind("status", COMPLETED).bind("text", sealed).bind("size", (long) text.length())
                .bind("pages", pages > 0 ? pages : null).bind("chunks", chunks).bind("language", language)
                .bind("now", clock.millis()).bind("id", document.id()).execute());
    }

    /**
     * Marks {@code id} Running again, to be processed anew; false when it already is. Its text stays
     * readable (and its chunks searchable) until the new processing replaces or fails them.
     */
    boolean reprocessing(String id) {
        return database.inTransaction(h -> h.createUpdate("""
                        UPDATE library_documents SET status = :running, failure = NULL WHERE id = :id AND status <> :running""")
                .bind("running", RUNNING).bind("id", id).execute()) == 1;
    }

    /** Puts back the status a document had before a reprocessing that could not start. */
    void restore(String id, String status, String failure) {
        database.useTransaction(h -> h.createUpdate("UPDATE library_documents SET status = :status, failure = :failure"
                        + " WHERE id = :id")
                .bind("status", status).bind("failure", failure).bind("id", id).execute());
    }

    /** Processing failed, for {@code reason}: whatever an earlier processing gave is gone too. */
    void failed(String id, String reason) {
        database.useTransaction(h -> h.createUpdate("""
                        UPDATE library_documents SET status = :status, failure = :reason, processed_at = :now, text = NULL,
                            text_size = NULL, pages = NULL, chunks = NULL, language = NULL
                        WHERE id = :id""")
                .bind("status", FAILED).bind("reason", reason).bind("now", clock.millis()).bind("id", id).execute());
    }

    /** Documents left Running by a server that stopped: they are Failed, with the reason. */
    int failInterrupted() {
        return database.inTransaction(h -> h.createUpdate("""
                        UPDATE library_documents SET status = :failed, processed_at = :now,
                            failure = 'interrupted: the server stopped while processing it; reprocess it or upload it again'
                        WHERE status = :running""")
                .bind("failed", FAILED).bind("running", RUNNING).bind("now", clock.millis()).execute());
    }

    static void delete(Handle h, String id) {
        h.createUpdate("DELETE FROM library_documents WHERE id = :id").bind("id", id).execute();
    }

    private static final String COLUMNS = "id, library_id, organization_id, name, extension, mime_type, size, uploaded_by,"
            + " uploaded_by_user, status, failure, pages, chunks, language, text_size, created_at, processed_at, attributes";

    private Info info(ResultSet rs) throws SQLException {
        String id = rs.getString("id");
        String org = rs.getString("organization_id");
        String name = new String(vault.decrypt(org, null, id + "/name", rs.getBytes("name")), StandardCharsets.UTF_8);
        byte[] attributes = rs.getBytes("attributes");
        return new Info(id, rs.getString("library_id"), org, name, rs.getString("extension"), rs.getString("mime_type"),
                rs.getLong("size"), rs.getString("uploaded_by"), rs.getInt("uploaded_by_user") == 1,
                rs.getString("status"), rs.getString("failure"), integer(rs, "pages"), integer(rs, "chunks"),
                rs.getString("language"), longOrNull(rs, "text_size"), Instant.ofEpochMilli(rs.getLong("created_at")),
                longOrNull(rs, "processed_at") == null ? null : Instant.ofEpochMilli(rs.getLong("processed_at")),
                attributes == null ? null : new String(vault.decrypt(org, null, id + "/attributes", attributes),
                        StandardCharsets.UTF_8));
    }

    private static Integer integer(ResultSet rs, String column) throws SQLException {
        int value = rs.getInt(column);
        return rs.wasNull() ? null : value;
    }

    private static Long longOrNull(ResultSet rs, String column) throws SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? null : value;
    }
}

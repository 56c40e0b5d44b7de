package eu.souverain.server.files;

import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.store.Database;
import eu.souverain.server.store.RecordIds;
import eu.souverain.server.tenancy.TenancyException;
import eu.souverain.server.vault.Vault;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Handle;

/**
 * Files of the Files API, in the tables {@code files} and {@code file_parts}: those a caller
 * uploads for batch jobs, and those batch jobs write. Names and contents are encrypted with the
 * {@link Vault} under the organization's data key, each bound to its own record, so the database
 * holds ciphertext only. A file is read by the actor that owns it, and by its organization's
 * administrators; any other id, another organization's above all, answers as missing. Uploads,
 * reads of content and deletions are audited, by id and size, never with content.
 *
 * <p>A file's content is the concatenation of its parts in order. An upload is one part; a batch
 * job's output appends one part per input line, numbered by the line, and a part already written
 * is never written again ({@link #appendPart}), which is what keeps a resumed job from answering a
 * line twice.
 */
public final class StoredFiles {

    /** The purposes a file may be uploaded for. */
    public static final Set<String> PURPOSES = Set.of("batch");
    public static final int MAX_FILENAME_CHARS = 255;

    private final Database database;
    private final Vault vault;
    private final AuditLog audit;
    private final Clock clock;

    public StoredFiles(Database database, Vault vault, AuditLog audit, Clock clock) {
        this.database = database;
        this.vault = vault;
        this.audit = audit;
        this.clock = clock;
    }

    /** Who acts on files: an organization, an actor in it, and whether it administers the organization (reads all). */
    public record Owner(String organizationId, String actorId, boolean administrator) {
    }

    /**
     * A file as listed, without its content. {@code source} says where it came from: "upload",
     * "inline" (a job's requests given in its body), "output" or "error" (what a job wrote).
     */
    public record StoredFile(String id, String organizationId, String ownerId, String purpose, String source,
                             String filename, long bytes, int lines, Instant createdAt) {
    }

    /** Keeps {@code content} as a new file of {@code owner}; audited "files.upload" with its id and size. */
    public StoredFile upload(Owner owner, String purpose, String source, String filename, byte[] content,
                             String clientIp) {
        if (!PURPOSES.contains(purpose)) {
            throw TenancyException.invalid("purpose", "purpose must be one of " + PURPOSES + ", was '" + purpose + "'");
        }
        if (filename == null || filename.isBlank() || filename.length() > MAX_FILENAME_CHARS
                || filename.chars().anyMatch(Character::isISOControl)) {
            throw TenancyException.invalid("file", "a file needs a name of 1 to " + MAX_FILENAME_CHARS
                    + " characters, without control characters");
        }
        String id = RecordIds.lowercase("file-", 24);
        long now = clock.millis();
        byte[] name = seal(owner.organizationId(), id + "/name", filename.getBytes(StandardCharsets.UTF_8));
        byte[] sealed = seal(owner.organizationId(), id + "/0", content);
        int lines = lines(content);
        database.useTransaction(h -> {
            insertFile(h, id, owner, purpose, source, name, content.length, lines, now);
            h.createUpdate("INSERT INTO file_parts (file_id, part, content, created_at) VALUES (:id, 0, :content, :now)")
                    .bind("id", id).bind("content", sealed).bind("now", now).execute();
            audit.append(h, AuditEvent.of(owner.organizationId(), owner.actorId(), "files.upload",
                    id + " (" + content.length + " bytes)", clientIp, AuditEvent.Outcome.SUCCESS));
        });
        return new StoredFile(id, owner.organizationId(), owner.actorId(), purpose, source, filename, content.length,
                lines, Instant.ofEpochMilli(now));
    }

    /** Makes an empty file that parts are appended to later (a batch job's output); not audited on its own. */
    public StoredFile create(Owner owner, String purpose, String source, String filename) {
        String id = RecordIds.lowercase("file-", 24);
        long now = clock.millis();
        byte[] name = seal(owner.organizationId(), id + "/name", filename.getBytes(StandardCharsets.UTF_8));
        database.useTransaction(h -> insertFile(h, id, owner, purpose, source, name, 0, 0, now));
        return new StoredFile(id, owner.organizationId(), owner.actorId(), purpose, source, filename, 0, 0,
                Instant.ofEpochMilli(now));
    }

    private static void insertFile(Handle h, String id, Owner owner, String purpose, String source, byte[] name,
                                   long bytes, int lines, long now) {
        h.createUpdate("""
                        INSERT INTO files (id, organization_id, owner_id, purpose, source, filename, bytes, lines, created_at)
                        VALUES (:id, :org, :owner, :purpose, :source, :name, :bytes, :lines, :now)""")
                .bind("id", id).bind("org", owner.organizationId()).bind("owner", owner.actorId())
                .bind("purpose", purpose).bind("source", source).bind("name", name).bind("bytes", bytes)
                .bind("lines", lines).bind("now", now).execute();
    }

    /** A part's content sealed for its file, ready to append: sealing may read the store, so it comes first. */
    public record SealedPart(String organizationId, String fileId, int part, byte[] content, int bytes, int lines) {
    }

    /** {@code content} sealed as part {@code part} of file {@code fileId} of {@code organizationId}. */
    public SealedPart seal(String organizationId, String fileId, int part, byte[] content) {
        return new SealedPart(organizationId, fileId, part, seal(organizationId, fileId + "/" + part, content),
                content.length, lines(content));
    }

    /**
     * Appends, in {@code h}'s transaction, a sealed part unless its file has that part already;
     * returns whether it wrote it.
     */
    public boolean appendPart(Handle h, SealedPart sealed) {
        int inserted = h.createUpdate("""
                        INSERT INTO file_parts (file_id, part, content, created_at) VALUES (:id, :part, :content, :now)
                        ON CONFLICT (file_id, part) DO NOTHING""")
                .bind("id", sealed.fileId()).bind("part", sealed.part()).bind("content", sealed.content())
                .bind("now", clock.millis()).execute();
        if (inserted == 0) {
            return false;
        }
        h.createUpdate("UPDATE files SET bytes = bytes + :bytes, lines = lines + :lines WHERE id = :id")
                .bind("bytes", sealed.bytes()).bind("lines", sealed.lines()).bind("id", sealed.fileId()).execute();
        return true;
    }

    /** The part numbers file {@code fileId} has. */
    public Set<Integer> parts(String fileId) {
        return Set.copyOf(database.jdbi().withHandle(h -> h.createQuery(
                        "SELECT part FROM file_parts WHERE file_id = :id").bind("id", fileId).mapTo(Integer.class).list()));
    }

    /** The files {@code owner} may read, newest first; {@code purpose}, unless null, keeps those of that purpose. */
    public List<StoredFile> list(Owner owner, String purpose) {
        return database.jdbi().withHandle(h -> h.createQuery("SELECT * FROM files WHERE organization_id = :org"
                        + (owner.administrator() ? "" : " AND owner_id = :owner")
                        + (purpose == null ? "" : " AND purpose = :purpose") + " ORDER BY created_at DESC, id DESC")
                .bind("org", owner.organizationId()).bind("owner", owner.actorId()).bind("purpose", purpose)
                .map((rs, ctx) -> file(rs)).list());
    }

    /** File {@code id} as {@code owner} may see it; else the "not found" of a missing id, audited DENIED. */
    public StoredFile get(Owner owner, String id, String clientIp) {
        return owned(owner, id, "files.read", clientIp);
    }

    /** The content of file {@code id}; audited "files.content". */
    public byte[] content(Owner owner, String id, String clientIp) {
        StoredFile file = owned(owner, id, "files.content", clientIp);
        byte[] content = content(file.organizationId(), id);
        audit.append(AuditEvent.of(owner.organizationId(), owner.actorId(), "files.content",
                id + " (" + content.length + " bytes)", clientIp, AuditEvent.Outcome.SUCCESS));
        return content;
    }

    /** The content of file {@code id} of {@code organizationId}, decrypted: for the batch jobs reading their input. */
    public byte[] content(String organizationId, String id) {
        List<Map.Entry<Integer, byte[]>> parts = database.jdbi().withHandle(h -> h.createQuery(
                        "SELECT part, content FROM file_parts WHERE file_id = :id ORDER BY part")
                .bind("id", id).map((rs, ctx) -> Map.entry(rs.getInt("part"), rs.getBytes("content"))).list());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Map.Entry<Integer, byte[]> part : parts) {
            out.writeBytes(vault.decrypt(organizationId, null, id + "/" + part.getKey(), part.getValue()));
        }
        return out.toByteArray();
    }

    /** File {@code id} of {@code organizationId} whoever owns it, or empty. */
    public Optional<StoredFile> find(String organizationId, String id) {
        return database.jdbi().withHandle(h -> h.createQuery(
                        "SELECT * FROM files WHERE id = :id AND organization_id = :org")
                .bind("id", id).bind("org", organizationId).map((rs, ctx) -> file(rs)).findOne());
    }

    /** Deletes file {@code id} and its content; audited "files.delete". */
    public void delete(Owner owner, String id, String clientIp) {
        owned(owner, id, "files.delete", clientIp);
        database.useTransaction(h -> {
            h.createUpdate("DELETE FROM file_parts WHERE file_id = :id").bind("id", id).execute();
            h.createUpdate("DELETE FROM files WHERE id = :id").bind("id", id).execute();
            audit.append(h, AuditEvent.of(owner.organizationId(), owner.actorId(), "files.delete", id, clientIp,
                    AuditEvent.Outcome.SUCCESS));
        });
    }

    /** A file with its content decrypted, for an export. */
    public record Exported(StoredFile file, byte[] content) {
    }

    /** Every file of {@code organizationId} owned by {@code ownerId} (every one when null), with its content. */
    public List<Exported> all(String organizationId, String ownerId) {
        List<StoredFile> files = database.jdbi().withHandle(h -> h.createQuery(
                        "SELECT * FROM files WHERE organization_id = :org" + (ownerId == null ? "" : " AND owner_id = :owner")
                                + " ORDER BY created_at, id")
                .bind("org", organizationId).bind("owner", ownerId).map((rs, ctx) -> file(rs)).list());
        return files.stream().map(f -> new Exported(f, content(organizationId, f.id()))).toList();
    }

    /**
     * Deletes, in {@code h}'s transaction, the files of {@code organizationId} owned by {@code
     * ownerId} (all of them when null) and, when {@code before} is not null, made before that
     * time (epoch ms); returns how many files.
     */
    public static int delete(Handle h, String organizationId, String ownerId, Long before) {
        String where = "organization_id = :org" + (ownerId == null ? "" : " AND owner_id = :owner")
                + (before == null ? "" : " AND created_at < :before");
        h.createUpdate("DELETE FROM file_parts WHERE file_id IN (SELECT id FROM files WHERE " + where + ")")
                .bind("org", organizationId).bind("owner", ownerId).bind("before", before).execute();
        return h.createUpdate("DELETE FROM files WHERE " + where)
                .bind("org", organizationId).bind("owner", ownerId).bind("before", before).execute();
    }

    private StoredFile owned(Owner owner, String id, String action, String clientIp) {
        Optional<StoredFile> found = find(owner.organizationId(), id)
                .filter(f -> owner.administrator() || f.ownerId().equals(owner.actorId()));
        if (found.isEmpty()) {
            // Another organization's id, another member's and none at all answer and are audited alike.
            audit.append(AuditEvent.of(owner.organizationId(), owner.actorId(), action, id, clientIp,
                    AuditEvent.Outcome.DENIED));
            throw TenancyException.notFound("file", id);
        }
        return found.get();
    }

    private StoredFile file(ResultSet rs) throws SQLException {
        String id = rs.getString("id");
        String org = rs.getString("organization_id");
        String name = new String(vault.decrypt(org, null, id + "/name", rs.getBytes("filename")), StandardCharsets.UTF_8);
        return new StoredFile(id, org, rs.getString("owner_id"), rs.getString("purpose"), rs.getString("source"), name,
                rs.getLong("bytes"), rs.getInt("lines"), Instant.ofEpochMilli(rs.getLong("created_at")));
    }

    private byte[] seal(String organizationId, String recordId, byte[] content) {
        return vault.encrypt(organizationId, null, recordId, content);
    }

    /** Lines of a text: its newlines, plus one for a last line without one. */
    static int lines(byte[] content) {
        int lines = 0;
        for (byte b : content) {
            lines += b == '\n' ? 1 : 0;
        }
        return content.length > 0 && content[content.length - 1] != '\n' ? lines + 1 : lines;
    }
}

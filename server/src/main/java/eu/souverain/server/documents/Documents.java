package eu.souverain.server.documents;

import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.documents.Libraries.Library;
import eu.souverain.server.documents.Libraries.Role;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.vault.Vault;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An organization's document libraries: the libraries and their sharing ({@link #libraries()}),
 * their documents (originals and extracted texts encrypted in the store), and the organization's
 * encrypted search index in the data directory. Processing an upload and searching need model
 * calls (embeddings): {@link Ingestion} and {@link Retrieval} do them on top of this.
 */
public final class Documents implements AutoCloseable {

    /**
     * @param maxFileBytes   a larger upload is refused (413)
     * @param maxTextChars   a file whose text is longer fails
     * @param workers        files processed at once, whatever the number of uploads
     * @param queue          uploads waiting past these are refused (503) rather than queued without end
     * @param parseTimeout   a file whose parsing takes longer fails
     * @param embeddingModel the model that embeds chunks and queries; null: the first model served
     */
    public record Settings(long maxFileBytes, long maxTextChars, int workers, int queue, Duration parseTimeout,
                           String embeddingModel) {
        public static final long DEFAULT_MAX_FILE_BYTES = 50L << 20;
        public static final long DEFAULT_MAX_TEXT_CHARS = 5_000_000;

        public static Settings defaults(String embeddingModel) {
            return new Settings(DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_TEXT_CHARS, 2, 64, Duration.ofSeconds(120),
                    embeddingModel);
        }

        public Settings {
            if (maxFileBytes < 1 || maxTextChars < 1 || workers < 1 || queue < 1) {
                throw new IllegalArgumentException("document limits must be positive");
            }
        }
    }

    /** Where documents live, for the data directory's scans and the sovereignty report. */
    public static final String DIRECTORY = "documents";
    public static final String ENCRYPTION = "originals, extracted texts, names: AES-256-GCM (Google Tink) under the"
            + " organization's data key; search index (Lucene, chunks and vectors): AES-256-CTR per file, random"
            + " counter block, under the organization's index key, itself wrapped by its data key";

    private final Database database;
    private final AuditLog audit;
    private final Settings settings;
    private final Libraries libraries;
    private final LibraryDocuments documents;
    private final IndexKeys keys;
    private final DocumentIndex index;
    private final Path root;

    public Documents(Database database, Vault vault, AuditLog audit, Clock clock, Path dataDir, Settings settings) {
        this.database = database;
        this.audit = audit;
        this.settings = settings;
        this.libraries = new Libraries(database, vault, audit, clock);
        this.documents = new LibraryDocuments(database, vault, clock);
        this.keys = new IndexKeys(database, vault, clock);
        this.root = dataDir.resolve(DIRECTORY);
        this.index = new DocumentIndex(root, keys::of);
        documents.failInterrupted();
    }

    public Settings settings() {
        return settings;
    }

    public Libraries libraries() {
        return libraries;
    }

    LibraryDocuments rows() {
        return documents;
    }

    DocumentIndex index() {
        return index;
    }

    Database database() {
        return database;
    }

    AuditLog audit() {
        return audit;
    }

    /** A document as its library's readers see it. */
    public record Document(String id, String libraryId, String name, String extension, String mimeType, long size,
                           String uploadedBy, boolean uploadedByUser, String status, String failure, Integer pages,
                           Integer chunks, String language, Long textSize, java.time.Instant createdAt,
                           java.time.Instant processedAt) {
        static Document of(LibraryDocuments.Info i) {
            return new Document(i.id(), i.libraryId(), i.name(), i.extension(), i.mimeType(), i.size(), i.uploadedBy(),
                    i.uploadedByUser(), i.status(), i.failure(), i.pages(), i.chunks(), i.language(), i.textSize(),
                    i.createdAt(), i.processedAt());
        }
    }

    /** The documents of a library {@code caller} may read, filtered by name and sorted ("created_at" or "name"). */
    public List<Document> list(Principal caller, String libraryId, String search, String sortBy, boolean ascending,
                               String clientIp) {
        libraries.require(caller, libraryId, Role.VIEWER, "documents.list", clientIp);
        return documents.list(libraryId, search, sortBy, ascending).stream().map(Document::of).toList();
    }

    public Document get(Principal caller, String libraryId, String id, String clientIp) {
        libraries.require(caller, libraryId, Role.VIEWER, "documents.read", clientIp);
        return Document.of(documents.require(libraryId, id));
    }

    /** The text extracted from a document, once processed (empty before); audited "documents.text" with its size. */
    public Optional<String> text(Principal caller, String libraryId, String id, String clientIp) {
        libraries.require(caller, libraryId, Role.VIEWER, "documents.text", clientIp);
        LibraryDocuments.Info info = documents.require(libraryId, id);
        Optional<String> text = documents.text(info);
        audit.append(AuditEvent.of(caller.organizationId(), caller.actorId(), "documents.text",
                id + " (" + text.map(String::length).orElse(0) + " chars)", clientIp, AuditEvent.Outcome.SUCCESS));
        return text;
    }

    /** Deletes a document and its chunks; Editors may. Audited "documents.delete" with its size. */
    public void delete(Principal caller, String libraryId, String id, String clientIp) {
        libraries.require(caller, libraryId, Role.EDITOR, "documents.delete", clientIp);
        LibraryDocuments.Info info = documents.require(libraryId, id);
        try {
            index.delete(caller.organizationId(), "document", id);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove document " + id + " from the index", e);
        }
        database.useTransaction(h -> {
            LibraryDocuments.delete(h, id);
            libraries.touch(h, libraryId);
            audit.append(h, AuditEvent.of(caller.organizationId(), caller.actorId(), "documents.delete",
                    id + " (" + info.size() + " bytes)", clientIp, AuditEvent.Outcome.SUCCESS));
        });
    }

    /** Deletes a library with its documents and their chunks; only its owner may. Audited "libraries.delete". */
    public Library deleteLibrary(Principal caller, String libraryId, String clientIp) {
        Library library = libraries.require(caller, libraryId, Role.OWNER, "libraries.delete", clientIp);
        try {
            index.delete(caller.organizationId(), "library", libraryId);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove library " + libraryId + " from the index", e);
        }
        database.useTransaction(h -> {
            Libraries.delete(h, libraryId);
            audit.append(h, AuditEvent.of(caller.organizationId(), caller.actorId(), "libraries.delete", libraryId,
                    clientIp, AuditEvent.Outcome.SUCCESS));
        });
        return library;
    }

    /** A library's documents counted and measured. */
    public record Size(int documents, long bytes) {
    }

    public Size size(String libraryId) {
        return database.jdbi().withHandle(h -> h.createQuery(
                        "SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM library_documents WHERE library_id = :id")
                .bind("id", libraryId).map((rs, ctx) -> new Size(rs.getInt("n"), rs.getLong("bytes"))).one());
    }

    /**
     * What an organization keeps in libraries, for the sovereignty report: each library with its
     * documents and bytes, the chunks indexed, and where and how all of it is stored.
     */
    public Map<String, Object> report(String organizationId) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (Library library : libraries.all(organizationId)) {
            Size size = size(library.id());
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("id", library.id());
            entry.put("name", library.name());
            entry.put("owner_id", library.ownerId());
            entry.put("shared_with_organization", library.orgRole() == null ? null : library.orgRole().wireName());
            entry.put("shared_with_users", library.userShares());
            entry.put("documents", size.documents());
            entry.put("bytes", size.bytes());
            list.add(entry);
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("libraries", list);
        long[] indexSize;
        try {
            indexSize = list.isEmpty() ? new long[] {0, 0} : index.size(organizationId);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        report.put("chunks_indexed", indexSize[0]);
        report.put("index_bytes", indexSize[1]);
        report.put("stored_in", List.of("database: library_documents (originals, texts)",
                index.directory(organizationId).toString()));
        report.put("encryption", ENCRYPTION);
        return report;
    }

    /** Every library of an organization with its documents' texts, for data portability; audited by the caller. */
    public List<Map<String, Object>> export(String organizationId) {
        List<Map<String, Object>> exported = new ArrayList<>();
        for (Library library : libraries.all(organizationId)) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("id", library.id());
            entry.put("name", library.name());
            entry.put("description", library.description());
            entry.put("owner_id", library.ownerId());
            entry.put("created_at", library.createdAt().toString());
            List<Map<String, Object>> docs = new ArrayList<>();
            for (LibraryDocuments.Info info : documents.list(library.id(), null, "created_at", true)) {
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("id", info.id());
                doc.put("name", info.name());
                doc.put("mime_type", info.mimeType());
                doc.put("size", info.size());
                doc.put("status", info.status());
                doc.put("created_at", info.createdAt().toString());
                doc.put("original_base64", java.util.Base64.getEncoder().encodeToString(documents.original(info)));
                doc.put("text", documents.text(info).orElse(null));
                docs.add(doc);
            }
            entry.put("documents", docs);
            exported.add(entry);
        }
        return exported;
    }

    /**
     * Erases an organization's libraries: their rows, its index key and its index files. The
     * organization's data key, destroyed by the privacy erasure, already made all of them unreadable.
     */
    public int erase(String organizationId) {
        try {
            index.destroy(organizationId);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the document index of " + organizationId, e);
        }
        keys.delete(organizationId);
        return database.inTransaction(h -> Libraries.deleteAll(h, organizationId));
    }

    @Override
    public void close() {
        try {
            index.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

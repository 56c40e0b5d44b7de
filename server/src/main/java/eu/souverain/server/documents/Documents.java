package eu.souverain.server.documents;

import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.documents.Libraries.Library;
import eu.souverain.server.documents.Libraries.Role;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.Labels;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.TenancyException;
import eu.souverain.server.vault.Vault;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.util.stream.Stream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
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
     * @param rerankModel    the model that reorders a search's candidates ({@code serve --rerank-model}), or null for none
     */
    public record Settings(long maxFileBytes, long maxTextChars, int workers, int queue, Duration parseTimeout,
                           String rerankModel) {
        public static final long DEFAULT_MAX_FILE_BYTES = 50L << 20;
        public static final long DEFAULT_MAX_TEXT_CHARS = 5_000_000;

        public static Settings defaults() {
            return new Settings(DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_TEXT_CHARS, 2, 64, Duration.ofSeconds(120));
        }

        public Settings(long maxFileBytes, long maxTextChars, int workers, int queue, Duration parseTimeout) {
            this(maxFileBytes, maxTextChars, workers, queue, parseTimeout, null);
        }

        /** These settings, with searches reranked by {@code model} (null: none). */
        public Settings withRerankModel(String model) {
            return new Settings(maxFileBytes, maxTextChars, workers, queue, parseTimeout, model);
        }

        public Settings {
            if (maxFileBytes < 1 || maxTextChars < 1 || workers < 1 || queue < 1) {
                throw new IllegalArgumentException("document limits must be positive");
            }
        }
    }

    /** Where documents live, for the data directory's scans and the sovereignty report. */
    public static final String DIRECTORY = "documents";
    /** How originals, extracted texts and names are kept in the store. */
    public static final String CONTENTS_ENCRYPTION = "AES-256-GCM (Google Tink) under the organization's data key";
    /** How the search index is kept in the data directory. */
    public static final String INDEX_ENCRYPTION = "AES-256-CTR per file, random counter block, under the"
            + " organization's index key, itself wrapped by its data key";
    public static final String ENCRYPTION = "originals, extracted texts, names: " + CONTENTS_ENCRYPTION
            + "; search index (Lucene, chunks and vectors): " + INDEX_ENCRYPTION;
    private static final String CONTENTS_LOCATION = "the store's table library_documents";

    private final Database database;
    private final AuditLog audit;
    private final Settings settings;
    private final Libraries libraries;
    private final LibraryDocuments documents;
    private final IndexKeys keys;
    private final DocumentIndex index;
    private final Path root;
    private final DocumentLinks links;

    public Documents(Database database, Vault vault, AuditLog audit, Clock clock, Path dataDir, Settings settings) {
        this.database = database;
        this.audit = audit;
        this.settings = settings;
        this.libraries = new Libraries(database, vault, audit, clock);
        this.documents = new LibraryDocuments(database, vault, clock);
        this.keys = new IndexKeys(database, vault, clock);
        this.root = dataDir.resolve(DIRECTORY);
        this.index = new DocumentIndex(root, keys::of);
        this.links = new DocumentLinks(dataDir.resolve(DocumentLinks.KEY_FILE), clock);
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

    /** A document as its library's readers see it; {@code attributes} null when it has none. */
    public record Document(String id, String libraryId, String name, String extension, String mimeType, long size,
                           String uploadedBy, boolean uploadedByUser, String status, String failure, Integer pages,
                           Integer chunks, String language, Long textSize, java.time.Instant createdAt,
                           java.time.Instant processedAt, Map<String, Object> attributes) {
        static Document of(LibraryDocuments.Info i) {
            return new Document(i.id(), i.libraryId(), i.name(), i.extension(), i.mimeType(), i.size(), i.uploadedBy(),
                    i.uploadedByUser(), i.status(), i.failure(), i.pages(), i.chunks(), i.language(), i.textSize(),
                    i.createdAt(), i.processedAt(), i.attributes() == null ? null : DocumentAttributes.read(i.attributes()));
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

    /**
     * Renames document {@code id} (when {@code name} is not null) and replaces its attributes (when
     * {@code attributes} is not null; a JSON null or an empty object clears them); Editors may.
     * Audited "documents.update" with what changed, never the values. Its chunks keep the name they
     * were indexed under until it is processed again; searches show the new one.
     */
    public Document update(Principal caller, String libraryId, String id, String name, JsonNode attributes,
                           String clientIp) {
        libraries.require(caller, libraryId, Role.EDITOR, "documents.update", clientIp);
        LibraryDocuments.Info info = documents.require(libraryId, id);
        String newName = name == null ? null : checkedName(name);
        String newAttributes = attributes == null ? null : DocumentAttributes.checked(attributes);
        List<String> changed = new ArrayList<>();
        if (newName != null) {
            changed.add("name");
        }
        if (attributes != null) {
            changed.add("attributes");
        }
        database.useTransaction(h -> {
            documents.update(h, info, newName, attributes != null, newAttributes);
            libraries.touch(h, libraryId);
            audit.append(h, AuditEvent.of(caller.organizationId(), caller.actorId(), "documents.update",
                    id + " (" + (changed.isEmpty() ? "nothing" : String.join(", ", changed)) + ")", clientIp,
                    AuditEvent.Outcome.SUCCESS));
        });
        return Document.of(documents.require(libraryId, id));
    }

    /** A document's name as given: not blank, at most {@link Libraries#MAX_NAME_CHARS}, no hidden characters. */
    private static String checkedName(String name) {
        String stripped = name.strip();
        if (stripped.isEmpty()) {
            throw TenancyException.invalid("name", "a document needs a name");
        }
        if (stripped.length() > Libraries.MAX_NAME_CHARS) {
            throw TenancyException.invalid("name", "a document's name is at most " + Libraries.MAX_NAME_CHARS
                    + " characters");
        }
        return Labels.checked("name", stripped);
    }

    /**
     * The path and query of a signed link that downloads the document's original ({@code text}
     * false) or its extracted text, without an API key, for {@link DocumentLinks#LIFETIME}; readers
     * may ask. Empty for the text of a document not processed yet. Audited "documents.link".
     */
    public Optional<String> link(Principal caller, String libraryId, String id, boolean text, String clientIp) {
        libraries.require(caller, libraryId, Role.VIEWER, "documents.link", clientIp);
        LibraryDocuments.Info info = documents.require(libraryId, id);
        if (text && info.textSize() == null) {
            return Optional.empty();
        }
        DocumentLinks.Kind kind = text ? DocumentLinks.Kind.TEXT : DocumentLinks.Kind.ORIGINAL;
        String link = links.sign(caller.organizationId(), libraryId, id, kind, caller.actorId());
        audit.append(AuditEvent.of(caller.organizationId(), caller.actorId(), "documents.link",
                id + " " + kind.wireName() + " (for " + DocumentLinks.LIFETIME.toMinutes() + " minutes)", clientIp,
                AuditEvent.Outcome.SUCCESS));
        return Optional.of(link);
    }

    /** What a signed link downloads: the bytes, their media type and a file name for them. */
    public record Download(byte[] bytes, String mimeType, String fileName) {
    }

    /**
     * What the signed link of these parts downloads, decrypted from the store: refused ({@link
     * LinkRefused}) when it is not this server's or is past its time; missing (404) when the
     * document is gone, or when whoever asked for the link may no longer read its library. Audited
     * "documents.download" as the one who asked for the link, with the downloader's address and
     * the size; an expired link is audited DENIED.
     */
    public Download download(String libraryId, String id, String kind, String organizationId, String issuedBy,
                             String expires, String signature, String clientIp) {
        DocumentLinks.Link link;
        try {
            link = links.verify(libraryId, id, kind, organizationId, issuedBy, expires, signature);
        } catch (LinkRefused e) {
            if (e.expired()) {
                DocumentLinks.Link expired = e.link();
                audit.append(AuditEvent.of(expired.organizationId(), expired.issuedBy(), "documents.download",
                        expired.documentId() + " " + expired.kind().wireName() + " (expired link)", clientIp,
                        AuditEvent.Outcome.DENIED));
            }
            throw e;
        }
        libraries.find(link.organizationId(), link.issuedBy(), link.libraryId())
                .orElseThrow(() -> TenancyException.notFound("document", id));
        LibraryDocuments.Info info = documents.require(link.libraryId(), link.documentId());
        Download download = switch (link.kind()) {
            case ORIGINAL -> new Download(documents.original(info), info.mimeType(), info.name());
            case TEXT -> new Download(documents.text(info).orElseThrow(() -> TenancyException.notFound("document", id))
                    .getBytes(StandardCharsets.UTF_8), "text/plain; charset=utf-8", info.name() + ".txt");
        };
        audit.append(AuditEvent.of(link.organizationId(), link.issuedBy(), "documents.download",
                id + " " + link.kind().wireName() + " (" + download.bytes().length + " bytes, signed link)", clientIp,
                AuditEvent.Outcome.SUCCESS));
        return download;
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
     * Adds to a sovereignty report (the shape of GET /v1/sovereignty/report) where document
     * libraries are stored and how, and for each organization in its scope each library with its
     * documents, bytes and indexed chunks. Reads the store and the index files' sizes only, so that
     * the command line may report on the store of a running server.
     */
    public void describe(ObjectNode report) {
        ObjectNode entry = ((ArrayNode) report.path("where").path("data")).addObject()
                .put("category", "document libraries")
                .put("location", "originals, texts and names: " + CONTENTS_LOCATION + "; search index: "
                        + root.toAbsolutePath().normalize() + "/ORGANIZATION/index")
                .put("protection", ENCRYPTION);
        ArrayNode list = entry.putArray("libraries");
        for (JsonNode organization : report.path("scope").path("organizations")) {
            String org = organization.path("id").asText();
            for (Library library : libraries.all(org)) {
                Size size = size(library.id());
                list.addObject().put("organization_id", org).put("id", library.id()).put("name", library.name())
                        .put("owner_id", library.ownerId())
                        .put("shared_with_organization", library.orgRole() == null ? "no" : library.orgRole().wireName())
                        .put("shared_with_users", library.userShares()).put("documents", size.documents())
                        .put("bytes", size.bytes()).put("chunks", chunks(library.id()));
            }
            entry.withObject("index_bytes").put(org, indexBytes(org));
        }
    }

    /**
     * For a conversation's sovereignty facts: the libraries its answers cited ({@code answers}: how
     * many answers cited each library id) that {@code caller} may read now, each with its
     * documents, bytes and indexed chunks, and where and how their contents and index are kept. A
     * cited library the caller may no longer read (unshared, or deleted since) is only counted, so
     * that neither its name nor its id is shown.
     */
    public ObjectNode cited(Principal caller, Map<String, Integer> answers) {
        Map<String, Library> readable = new HashMap<>();
        libraries.readable(caller).forEach(l -> readable.put(l.id(), l));
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        ArrayNode list = json.putArray("cited");
        int hidden = 0;
        for (Map.Entry<String, Integer> cited : answers.entrySet()) {
            Library library = readable.get(cited.getKey());
            if (library == null) {
                hidden++;
                continue;
            }
            Size size = size(library.id());
            list.addObject().put("id", library.id()).put("name", library.name()).put("answers", cited.getValue())
                    .put("documents", size.documents()).put("bytes", size.bytes()).put("chunks", chunks(library.id()))
                    .put("role", library.role().wireName())
                    .put("shared_with_organization", library.orgRole() == null ? "no" : library.orgRole().wireName())
                    .put("shared_with_users", library.userShares());
        }
        json.put("not_readable", hidden);
        json.putObject("contents").put("location", CONTENTS_LOCATION).put("protection", CONTENTS_ENCRYPTION);
        json.putObject("index")
                .put("location", index.directory(caller.organizationId()).toAbsolutePath().normalize().toString())
                .put("protection", INDEX_ENCRYPTION);
        return json;
    }

    private long chunks(String libraryId) {
        return database.jdbi().withHandle(h -> h.createQuery(
                        "SELECT COALESCE(SUM(chunks), 0) FROM library_documents WHERE library_id = :id")
                .bind("id", libraryId).mapTo(Long.class).one());
    }

    private long indexBytes(String organizationId) {
        Path dir = index.directory(organizationId);
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.mapToLong(p -> p.toFile().length()).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The libraries of an organization (of {@code ownerId} alone, unless null) with their
     * documents, originals and texts, for data portability; the caller audits the export.
     */
    public List<Map<String, Object>> export(String organizationId, String ownerId) {
        List<Map<String, Object>> exported = new ArrayList<>();
        for (Library library : libraries.all(organizationId)) {
            if (ownerId != null && !ownerId.equals(library.ownerId())) {
                continue;
            }
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
                doc.put("attributes", info.attributes() == null ? null : DocumentAttributes.read(info.attributes()));
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

    /**
     * Erases the libraries {@code ownerId} owns in {@code organizationId}, with their documents
     * and chunks: their contents are under the organization's key, which a person's erasure
     * leaves, so they are deleted here. Returns how many libraries.
     */
    public int eraseOwner(String organizationId, String ownerId) {
        List<Library> owned = libraries.all(organizationId).stream().filter(l -> l.ownerId().equals(ownerId)).toList();
        for (Library library : owned) {
            try {
                index.delete(organizationId, "library", library.id());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove library " + library.id() + " from the index", e);
            }
            database.useTransaction(h -> Libraries.delete(h, library.id()));
        }
        return owned.size();
    }

    /**
     * Deletes the documents older than their organization's retention (the days it keeps
     * conversations), with their chunks; audited "retention.purge" with how many.
     */
    public int purge(Map<String, Integer> retentionDays, long now) {
        int purged = 0;
        for (Map.Entry<String, Integer> policy : retentionDays.entrySet()) {
            long cutoff = now - Duration.ofDays(policy.getValue()).toMillis();
            String org = policy.getKey();
            List<LibraryDocuments.Info> old = documents.all(org).stream()
                    .filter(d -> d.createdAt().toEpochMilli() < cutoff).toList();
            for (LibraryDocuments.Info info : old) {
                try {
                    index.delete(org, "document", info.id());
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot remove document " + info.id() + " from the index", e);
                }
                database.useTransaction(h -> LibraryDocuments.delete(h, info.id()));
            }
            if (!old.isEmpty()) {
                audit.append(AuditEvent.of(org, "system", "retention.purge", old.size() + " documents older than "
                        + policy.getValue() + " days", null, AuditEvent.Outcome.SUCCESS));
            }
            purged += old.size();
        }
        return purged;
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

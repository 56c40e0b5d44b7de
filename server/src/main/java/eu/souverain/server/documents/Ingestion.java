package eu.souverain.server.documents;

import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.backends.BackendException;
import eu.souverain.server.backends.EmbeddingRequest;
import eu.souverain.server.calls.ModelCalls;
import eu.souverain.server.documents.Chunker.Chunk;
import eu.souverain.server.documents.Chunker.Chunked;
import eu.souverain.server.documents.Documents.Document;
import eu.souverain.server.documents.Libraries.Library;
import eu.souverain.server.documents.Libraries.Role;
import eu.souverain.server.tenancy.Labels;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.TenancyException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Uploads, and their processing in the background: the file's type detected from its bytes, its
 * text parsed (Tika, under a character limit and a time limit), chunked, embedded through {@link
 * ModelCalls} as its uploader, and indexed; the document's status goes from Running to Completed,
 * or Failed with the reason. A fixed number of workers with a bounded queue processes them, so
 * that a flood of uploads or a file that takes long to parse holds those workers only, never the
 * threads that answer requests; past the queue an upload is refused with 503.
 */
public final class Ingestion implements AutoCloseable {

    /** Chunks embedded per model call. */
    private static final int EMBEDDING_BATCH = 16;
    /** What of a chunk is embedded: small embedding models read a few hundred tokens at most. */
    static final int EMBEDDED_CHARS = 400;
    private static final int CLOSE_WAIT_SECONDS = 10;
    private static final Logger LOG = LoggerFactory.getLogger(Ingestion.class);

    private final Documents documents;
    private final ModelCalls calls;
    private final DocumentParser parser;
    private final ThreadPoolExecutor workers;
    private final ExecutorService parsing;
    /** Documents each organization has waiting or in processing: no one organization may fill the queue. */
    private final Map<String, AtomicInteger> pending = new ConcurrentHashMap<>();
    private final int perOrganization;

    public Ingestion(Documents documents, ModelCalls calls) {
        this.documents = documents;
        this.calls = calls;
        Documents.Settings settings = documents.settings();
        this.parser = new DocumentParser(settings.maxTextChars());
        AtomicInteger n = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(settings.workers(), settings.workers(), 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(settings.queue()), r -> daemon(r, "souverain-documents-" + n.incrementAndGet()));
        this.parsing = Executors.newFixedThreadPool(settings.workers(),
                r -> daemon(r, "souverain-parse-" + n.incrementAndGet()));
        this.perOrganization = Math.max(1, settings.queue() / 4);
        // Made once per server: what a server that stopped left Running will never finish.
        documents.rows().failInterrupted();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread thread = new Thread(r, name);
        thread.setDaemon(true);
        return thread;
    }

    /**
     * The model that embeds chunks and queries: the server's default embedding model ({@code serve
     * --embedding-model}). An organization's index keeps the vectors of the model that made them:
     * a model of another width fails the next document, naming the problem.
     */
    String embeddingModel() {
        return calls.defaultEmbeddingModel();
    }

    /**
     * Stores {@code bytes} as a new document of library {@code libraryId} (Editors may), status
     * Running, and queues its processing. Audited "documents.upload" with its size.
     */
    public Document upload(Principal caller, String libraryId, String fileName, byte[] bytes, String clientIp) {
        Library library = documents.libraries().require(caller, libraryId, Role.EDITOR, "documents.upload", clientIp);
        String name = fileName == null || fileName.isBlank() ? "document" : Labels.withoutHidden(fileName.strip());
        if (name.length() > Libraries.MAX_NAME_CHARS) {
            name = name.substring(0, Libraries.MAX_NAME_CHARS);
        }
        if (bytes.length > documents.settings().maxFileBytes()) {
            throw TenancyException.invalid("file", "the file has " + bytes.length + " bytes; the limit is "
                    + documents.settings().maxFileBytes());
        }
        String mimeType;
        try {
            mimeType = parser.detect(bytes, name);
        } catch (IOException e) {
            throw TenancyException.invalid("file", "the file's type cannot be read: " + e.getMessage());
        }
        if (!DocumentParser.TYPES.containsKey(mimeType)) {
            throw TenancyException.invalid("file", "unsupported file type " + mimeType + " (from its content): libraries"
                    + " take PDF, DOCX, ODT, PPTX, HTML, Markdown and plain text");
        }
        AtomicInteger waiting = place(caller);
        try {
            return queue(caller, library, name, bytes, mimeType, clientIp, waiting);
        } catch (RuntimeException e) {
            waiting.decrementAndGet();
            throw e;
        }
    }

    /** A place in the caller's organization's share of the queue; 429 when it has none left. */
    private AtomicInteger place(Principal caller) {
        AtomicInteger waiting = pending.computeIfAbsent(caller.organizationId(), org -> new AtomicInteger());
        if (waiting.incrementAndGet() > perOrganization) {
            waiting.decrementAndGet();
            throw BackendException.busy("your organization has " + perOrganization + " documents waiting to be"
                    + " processed; try again when they are done");
        }
        return waiting;
    }

    /**
     * Processes document {@code id} again from its sealed original (Editors may), as the caller:
     * its text, chunks and embeddings are made anew under the library's chunk size and replace the
     * old ones, and a renamed document is indexed under its new name. Until then it is Running, its
     * former text still readable; a document already Running is refused (409). Audited
     * "documents.reprocess".
     */
    public void reprocess(Principal caller, String libraryId, String id, String clientIp) {
        Library library = documents.libraries().require(caller, libraryId, Role.EDITOR, "documents.reprocess", clientIp);
        LibraryDocuments rows = documents.rows();
        LibraryDocuments.Info info = rows.require(libraryId, id);
        AtomicInteger waiting = place(caller);
        try {
            byte[] original = rows.original(info);
            if (!rows.reprocessing(id)) {
                throw TenancyException.conflict("document_id", "document " + id + " is being processed; wait until"
                        + " its status is Completed or Failed");
            }
            if (!submit(caller, rows.require(libraryId, id), original, library.chunkSize(), waiting)) {
                // Its former processing stands: the document is as it was.
                rows.restore(id, info.status(), info.failure());
                throw BackendException.busy("too many documents are being processed; try again later");
            }
        } catch (RuntimeException e) {
            waiting.decrementAndGet();
            throw e;
        }
        documents.audit().append(AuditEvent.of(caller.organizationId(), caller.actorId(), "documents.reprocess",
                id + " (" + info.size() + " bytes)", clientIp, AuditEvent.Outcome.SUCCESS));
    }

    private Document queue(Principal caller, Library library, String name, byte[] bytes, String mimeType,
                           String clientIp, AtomicInteger waiting) {
        String id = LibraryDocuments.newId();
        LibraryDocuments rows = documents.rows();
        byte[] sealedName = rows.sealName(caller.organizationId(), id, name);
        byte[] sealedOriginal = rows.sealOriginal(caller.organizationId(), id, bytes);
        String extension = DocumentParser.TYPES.get(mimeType);
        documents.database().useTransaction(h -> {
            rows.insert(h, caller, library.id(), id, sealedName, sealedOriginal, mimeType, extension, bytes.length);
            documents.libraries().touch(h, library.id());
            documents.audit().append(h, AuditEvent.of(caller.organizationId(), caller.actorId(), "documents.upload",
                    id + " in " + library.id() + " (" + bytes.length + " bytes, " + mimeType + ")", clientIp,
                    AuditEvent.Outcome.SUCCESS));
        });
        LibraryDocuments.Info info = rows.require(library.id(), id);
        if (!submit(caller, info, bytes, library.chunkSize(), waiting)) {
            rows.failed(id, "the server had too many documents to process; upload it again later");
            throw BackendException.busy("too many documents are being processed; try again later");
        }
        return Document.of(info);
    }

    /**
     * Queues the processing of {@code info}, which frees {@code waiting}'s place once done; false
     * when the workers' queue is full.
     */
    private boolean submit(Principal caller, LibraryDocuments.Info info, byte[] bytes, Integer chunkSize,
                           AtomicInteger waiting) {
        try {
            workers.execute(() -> {
                try {
                    process(caller, info, bytes, chunkSize);
                } finally {
                    waiting.decrementAndGet();
                }
            });
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    private void process(Principal uploader, LibraryDocuments.Info info, byte[] bytes, Integer chunkSize) {
        LibraryDocuments rows = documents.rows();
        long started = System.nanoTime();
        try {
            Future<DocumentParser.Parsed> parse = parsing.submit(() -> parser.parse(bytes, info.mimeType()));
            DocumentParser.Parsed parsed;
            try {
                parsed = parse.get(documents.settings().parseTimeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                parse.cancel(true);
                throw new DocumentParser.Rejected("reading the file took longer than the limit of "
                        + documents.settings().parseTimeout().toSeconds() + " s");
            } catch (ExecutionException e) {
                if (e.getCause() instanceof DocumentParser.Rejected rejected) {
                    throw rejected;
                }
                throw new DocumentParser.Rejected("the file cannot be read: " + e.getCause());
            }
            long parsedAt = System.nanoTime();
            Chunked chunked = Chunker.chunk(parsed.blocks(), chunkSize == null ? Chunker.DEFAULT_CHARS : chunkSize);
            String language = Languages.detect(chunked.text());
            List<float[]> vectors = embed(uploader, chunked.chunks());
            long embeddedAt = System.nanoTime();
            List<DocumentIndex.Entry> entries = new ArrayList<>();
            for (int i = 0; i < chunked.chunks().size(); i++) {
                entries.add(new DocumentIndex.Entry(chunked.chunks().get(i), vectors.get(i)));
            }
            if (rows.find(info.libraryId(), info.id()).isEmpty()) {
                return;
            }
            documents.index().add(info.organizationId(), info.libraryId(), info.id(), info.name(), language, entries);
            rows.completed(info, chunked.text(), parsed.pages(), entries.size(), language);
            LOG.info("document {} processed: {} bytes, {} pages, {} chunks; parsed in {} ms, chunked and embedded in {} ms,"
                    + " indexed in {} ms", info.id(), info.size(), parsed.pages(), entries.size(),
                    (parsedAt - started) / 1_000_000, (embeddedAt - parsedAt) / 1_000_000,
                    (System.nanoTime() - embeddedAt) / 1_000_000);
            if (rows.find(info.libraryId(), info.id()).isEmpty()) {
                documents.index().delete(info.organizationId(), "document", info.id());
                return;
            }
            documents.audit().append(AuditEvent.of(info.organizationId(), uploader.actorId(), "documents.process",
                    info.id() + " (" + chunked.text().length() + " chars, " + entries.size() + " chunks)", null,
                    AuditEvent.Outcome.SUCCESS));
        } catch (DocumentParser.Rejected e) {
            fail(uploader, info, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(uploader, info, "interrupted: the server stopped while processing it; reprocess it or upload it again");
        } catch (RuntimeException | IOException e) {
            LOG.warn("document {} failed: {}", info.id(), e.toString());
            fail(uploader, info, "processing failed: " + e.getMessage());
        }
    }

    /** A failed document keeps nothing searchable: a reprocessing that fails takes the former chunks too. */
    private void fail(Principal uploader, LibraryDocuments.Info info, String reason) {
        try {
            documents.index().delete(info.organizationId(), "document", info.id());
        } catch (IOException | RuntimeException e) {
            LOG.warn("document {} failed, and its former chunks could not be removed from the index: {}", info.id(),
                    e.toString());
        }
        documents.rows().failed(info.id(), reason);
        documents.audit().append(AuditEvent.of(info.organizationId(), uploader.actorId(), "documents.process",
                info.id() + " (" + info.size() + " bytes)", null, AuditEvent.Outcome.FAILURE));
    }

    /** The chunks' embeddings, in order, through model calls of the uploader. */
    private List<float[]> embed(Principal uploader, List<Chunk> chunks) {
        List<float[]> vectors = new ArrayList<>();
        for (int from = 0; from < chunks.size(); from += EMBEDDING_BATCH) {
            List<String> inputs = chunks.subList(from, Math.min(chunks.size(), from + EMBEDDING_BATCH)).stream()
                    .map(c -> embedded((c.heading() == null ? "" : c.heading() + "\n") + c.text())).toList();
            vectors.addAll(calls.embed(uploader, null, "/v1/libraries", new EmbeddingRequest(embeddingModel(), inputs))
                    .vectors());
        }
        return vectors.stream().map(Ingestion::usable).toList();
    }

    static String embedded(String text) {
        return text.length() <= EMBEDDED_CHARS ? text : text.substring(0, EMBEDDED_CHARS);
    }

    /** A vector Lucene's dot product can take: unit length, or none for a zero vector. */
    static float[] usable(float[] vector) {
        double norm = 0;
        for (float v : vector) {
            norm += v * v;
        }
        if (norm == 0 || Double.isNaN(norm)) {
            return null;
        }
        float[] unit = new float[vector.length];
        float scale = (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < vector.length; i++) {
            unit[i] = vector[i] * scale;
        }
        return unit;
    }

    /**
     * Stops taking documents and lets the ones being processed finish for a while. The workers are
     * never interrupted: an interrupt closes the index's file channels under Lucene; a parser may be.
     */
    @Override
    public void close() {
        workers.shutdown();
        parsing.shutdownNow();
        try {
            if (!workers.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
                LOG.warn("documents still processing at shutdown are left Running; the next start marks them Failed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

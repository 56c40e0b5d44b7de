package eu.souverain.server.documents;

import eu.souverain.server.documents.Chunker.Chunk;
import eu.souverain.server.store.DataDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.fr.FrenchAnalyzer;
import org.apache.lucene.analysis.miscellaneous.PerFieldAnalyzerWrapper;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.store.NIOFSDirectory;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.QueryBuilder;

/**
 * One Lucene index per organization, under {@code DATA/documents/ORG/index}, behind an {@link
 * EncryptedDirectory} under the organization's index key: a document per chunk, its text analyzed
 * with the French or the English analyzer (stemming, stop words) as its document's language says
 * (field {@code text_fr} or {@code text_en}; BM25 scores them), and its embedding in an HNSW
 * graph. A search is lexical (BM25 over both fields, the query analyzed for each), semantic
 * (nearest vectors) or hybrid: both, fused by reciprocal rank. It never leaves the caller's
 * organization's index and the libraries it names.
 */
final class DocumentIndex implements AutoCloseable {

    /** Reciprocal rank fusion's constant, as in Cormack et al. (2009). */
    static final int RRF_K = 60;
    /** How many candidates each method gives the fusion. */
    private static final int CANDIDATES = 50;

    /** A chunk found, with its score under the method asked for. */
    record Hit(String libraryId, String documentId, String title, int chunk, String text, int page, int start,
               int end, double score) {
    }

    /** A chunk to index, with its embedding (null: none). */
    record Entry(Chunk chunk, float[] vector) {
    }

    private final Path root;
    private final Function<String, byte[]> keys;
    private final Map<String, Opened> open = new HashMap<>();
    private final Analyzer english = new EnglishAnalyzer();
    private final Analyzer french = new FrenchAnalyzer();
    private final Analyzer analyzer = new PerFieldAnalyzerWrapper(new StandardAnalyzer(),
            Map.of("text_en", english, "text_fr", french));

    private record Opened(EncryptedDirectory directory, IndexWriter writer, SearcherManager searchers) {
    }

    DocumentIndex(Path root, Function<String, byte[]> keys) {
        this.root = root;
        this.keys = keys;
    }

    /** Where {@code organizationId}'s index lives. */
    Path directory(String organizationId) {
        return root.resolve(organizationId).resolve("index");
    }

    private synchronized Opened opened(String organizationId) {
        Opened found = open.get(organizationId);
        if (found != null) {
            return found;
        }
        try {
            Path dir = directory(organizationId);
            // Its owner's alone, as the data directory is: even the index files' names and sizes are no one else's.
            DataDirectory.create(dir);
            EncryptedDirectory directory = new EncryptedDirectory(new NIOFSDirectory(dir), keys.apply(organizationId));
            IndexWriter writer = new IndexWriter(directory, new IndexWriterConfig(analyzer)
                    .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND));
            Opened opened = new Opened(directory, writer, new SearcherManager(writer, null));
            open.put(organizationId, opened);
            return opened;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the document index of organization " + organizationId, e);
        }
    }

    /** Indexes {@code entries}, the chunks of document {@code documentId}, replacing any it had. */
    void add(String organizationId, String libraryId, String documentId, String title, String language,
             List<Entry> entries) throws IOException {
        Opened index = opened(organizationId);
        List<Document> documents = new ArrayList<>();
        String field = Languages.FRENCH.equals(language) ? "text_fr" : "text_en";
        for (Entry entry : entries) {
            Chunk chunk = entry.chunk();
            Document doc = new Document();
            doc.add(new StringField("library", libraryId, Field.Store.YES));
            doc.add(new StringField("document", documentId, Field.Store.YES));
            doc.add(new StoredField("title", title));
            doc.add(new StoredField("chunk", chunk.index()));
            doc.add(new StoredField("page", chunk.page()));
            doc.add(new StoredField("start", chunk.start()));
            doc.add(new StoredField("end", chunk.end()));
            doc.add(new StoredField("text", chunk.text()));
            // The heading and title go into the searched text: a chunk under "Congés" is about leave.
            String searched = title + "\n" + (chunk.heading() == null ? "" : chunk.heading() + "\n") + chunk.text();
            doc.add(new TextField(field, searched, Field.Store.NO));
            if (entry.vector() != null) {
                doc.add(new KnnFloatVectorField("vector", entry.vector(), VectorSimilarityFunction.DOT_PRODUCT));
            }
            documents.add(doc);
        }
        index.writer().updateDocuments(new Term("document", documentId), documents);
        index.writer().commit();
        index.searchers().maybeRefreshBlocking();
    }

    /** Removes the chunks of documents whose {@code field} ("document" or "library") is {@code value}. */
    void delete(String organizationId, String field, String value) throws IOException {
        Opened index = opened(organizationId);
        index.writer().deleteDocuments(new Term(field, value));
        index.writer().commit();
        index.searchers().maybeRefreshBlocking();
    }

    /** The lexical (BM25) hits of {@code query} in {@code libraries}, best first. */
    List<Hit> lexical(String organizationId, Collection<String> libraries, String query, int limit) throws IOException {
        BooleanQuery.Builder text = new BooleanQuery.Builder();
        for (Map.Entry<String, Analyzer> field : Map.of("text_en", english, "text_fr", french).entrySet()) {
            Query q = new QueryBuilder(field.getValue()).createBooleanQuery(field.getKey(), query);
            if (q != null) {
                text.add(q, BooleanClause.Occur.SHOULD);
            }
        }
        BooleanQuery built = text.build();
        if (built.clauses().isEmpty()) {
            return List.of();
        }
        Query filtered = new BooleanQuery.Builder().add(built, BooleanClause.Occur.MUST)
                .add(inLibraries(libraries), BooleanClause.Occur.FILTER).build();
        return run(organizationId, filtered, limit);
    }

    /** The nearest chunks to {@code vector} in {@code libraries}, best first. */
    List<Hit> semantic(String organizationId, Collection<String> libraries, float[] vector, int limit)
            throws IOException {
        return run(organizationId, new KnnFloatVectorQuery("vector", vector, limit, inLibraries(libraries)), limit);
    }

    /** Both, fused by reciprocal rank: a chunk's score is the sum of 1 / (60 + its rank) in each list. */
    List<Hit> hybrid(String organizationId, Collection<String> libraries, String query, float[] vector, int limit)
            throws IOException {
        List<Hit> lexical = lexical(organizationId, libraries, query, CANDIDATES);
        List<Hit> semantic = vector == null ? List.of() : semantic(organizationId, libraries, vector, CANDIDATES);
        return fuse(List.of(lexical, semantic), limit);
    }

    static List<Hit> fuse(List<List<Hit>> lists, int limit) {
        Map<String, Hit> hits = new LinkedHashMap<>();
        Map<String, Double> scores = new HashMap<>();
        for (List<Hit> list : lists) {
            for (int rank = 0; rank < list.size(); rank++) {
                Hit hit = list.get(rank);
                String key = hit.documentId() + "#" + hit.chunk();
                hits.putIfAbsent(key, hit);
                scores.merge(key, 1.0 / (RRF_K + rank + 1), Double::sum);
            }
        }
        return hits.entrySet().stream()
                .sorted(Comparator.comparingDouble((Map.Entry<String, Hit> e) -> -scores.get(e.getKey())))
                .limit(limit)
                .map(e -> {
                    Hit h = e.getValue();
                    return new Hit(h.libraryId(), h.documentId(), h.title(), h.chunk(), h.text(), h.page(), h.start(),
                            h.end(), scores.get(e.getKey()));
                }).toList();
    }

    private static Query inLibraries(Collection<String> libraries) {
        return new TermInSetQuery("library", libraries.stream().map(BytesRef::new).toList());
    }

    private List<Hit> run(String organizationId, Query query, int limit) throws IOException {
        SearcherManager searchers = opened(organizationId).searchers();
        IndexSearcher searcher = searchers.acquire();
        try {
            List<Hit> hits = new ArrayList<>();
            var stored = searcher.storedFields();
            for (ScoreDoc scored : searcher.search(query, limit).scoreDocs) {
                Document doc = stored.document(scored.doc);
                hits.add(new Hit(doc.get("library"), doc.get("document"), doc.get("title"),
                        doc.getField("chunk").numericValue().intValue(), doc.get("text"),
                        doc.getField("page").numericValue().intValue(), doc.getField("start").numericValue().intValue(),
                        doc.getField("end").numericValue().intValue(), scored.score));
            }
            return hits;
        } finally {
            searchers.release(searcher);
        }
    }

    /** Closes {@code organizationId}'s index and deletes its files. */
    synchronized void destroy(String organizationId) throws IOException {
        Opened index = open.remove(organizationId);
        if (index != null) {
            index.searchers().close();
            index.writer().rollback();
            index.directory().close();
        }
        Path dir = root.resolve(organizationId);
        if (Files.exists(dir)) {
            try (Stream<Path> paths = Files.walk(dir)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @Override
    public synchronized void close() throws IOException {
        for (Opened index : open.values()) {
            index.searchers().close();
            try {
                index.writer().close();
            } catch (IllegalStateException e) {
                // A writer that hit an unrecoverable error has nothing left to commit.
                index.writer().rollback();
            }
            index.directory().close();
        }
        open.clear();
        analyzer.close();
    }
}

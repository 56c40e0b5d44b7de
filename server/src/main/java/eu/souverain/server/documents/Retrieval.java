package eu.souverain.server.documents;

import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.backends.EmbeddingRequest;
import eu.souverain.server.calls.ModelCalls;
import eu.souverain.server.documents.Libraries.Library;
import eu.souverain.server.documents.Libraries.Role;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.TenancyException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Search in the libraries a caller may read: lexical (BM25), semantic (the query embedded through
 * {@link ModelCalls}, nearest chunks) or hybrid (both, reciprocal rank fusion). A library the
 * caller may not read answers as missing; searches are audited with the libraries and the number
 * of results, never the query.
 */
public final class Retrieval {

    public static final int MAX_LIMIT = 100;
    public static final int MAX_QUERY_CHARS = 4000;

    public enum Method {
        HYBRID, LEXICAL, SEMANTIC;

        public static Method of(String name) {
            try {
                return valueOf(name.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw TenancyException.invalid("method", "method is hybrid, lexical or semantic, not '" + name + "'");
            }
        }
    }

    /** A chunk found; {@code page} is null for a document without pages. */
    public record Result(String libraryId, String documentId, String documentName, int chunk, String text, Integer page,
                         int start, int end, double score) {
    }

    private final Documents documents;
    private final Ingestion ingestion;
    private final ModelCalls calls;

    public Retrieval(Documents documents, Ingestion ingestion, ModelCalls calls) {
        this.documents = documents;
        this.ingestion = ingestion;
        this.calls = calls;
    }

    /** The best {@code limit} chunks for {@code query} in {@code libraryIds} (every readable one when empty). */
    public List<Result> search(Principal caller, String query, List<String> libraryIds, int limit, Method method,
                               String clientIp) {
        if (query == null || query.isBlank()) {
            throw TenancyException.invalid("query", "a search needs a query");
        }
        if (query.length() > MAX_QUERY_CHARS) {
            throw TenancyException.invalid("query", "a query is at most " + MAX_QUERY_CHARS + " characters");
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw TenancyException.invalid("limit", "limit is between 1 and " + MAX_LIMIT + ", was " + limit);
        }
        Set<String> libraries = new LinkedHashSet<>();
        if (libraryIds == null || libraryIds.isEmpty()) {
            documents.libraries().readable(caller).forEach(l -> libraries.add(l.id()));
        } else {
            for (String id : libraryIds) {
                Library library = documents.libraries().require(caller, id, Role.VIEWER, "documents.search", clientIp);
                libraries.add(library.id());
            }
        }
        List<Result> results = libraries.isEmpty() ? List.of() : run(caller, query, libraries, limit, method);
        documents.audit().append(AuditEvent.of(caller.organizationId(), caller.actorId(), "documents.search",
                method.name().toLowerCase(Locale.ROOT) + " in " + String.join(",", libraries) + " (" + results.size()
                        + " results)", clientIp, AuditEvent.Outcome.SUCCESS));
        return results;
    }

    private List<Result> run(Principal caller, String query, Set<String> libraries, int limit, Method method) {
        String org = caller.organizationId();
        DocumentIndex index = documents.index();
        try {
            List<DocumentIndex.Hit> hits = switch (method) {
                case LEXICAL -> index.lexical(org, libraries, query, limit);
                case SEMANTIC -> {
                    float[] vector = embed(caller, query);
                    yield vector == null ? List.of() : index.semantic(org, libraries, vector, limit);
                }
                case HYBRID -> index.hybrid(org, libraries, query, embed(caller, query), limit);
            };
            return hits.stream().map(h -> new Result(h.libraryId(), h.documentId(), h.title(), h.chunk(), h.text(),
                    h.page() > 0 ? h.page() : null, h.start(), h.end(), h.score())).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("the document index of " + org + " cannot be searched", e);
        }
    }

    private float[] embed(Principal caller, String query) {
        return Ingestion.usable(calls.embed(caller, null, "/v1/search",
                new EmbeddingRequest(ingestion.embeddingModel(), List.of(Ingestion.embedded(query)))).vectors().getFirst());
    }
}

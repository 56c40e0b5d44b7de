package eu.souverain.server.documents;

import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.backends.BackendException;
import eu.souverain.server.backends.EmbeddingRequest;
import eu.souverain.server.backends.RerankRequest;
import eu.souverain.server.backends.Reranking;
import eu.souverain.server.calls.ModelCalls;
import eu.souverain.server.documents.Libraries.Library;
import eu.souverain.server.documents.Libraries.Role;
import eu.souverain.server.limits.LimitExceeded;
import eu.souverain.server.sovereignty.ResidencyException;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.TenancyException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Set;

/**
 * Search in the libraries a caller may read: lexical (BM25), semantic (the query embedded through
 * {@link ModelCalls}, nearest chunks) or hybrid (both, reciprocal rank fusion). A library the
 * caller may not read answers as missing; searches are audited with the libraries and the number
 * of results, never the query.
 *
 * <p>Where a rerank model is configured ({@link Documents.Settings#rerankModel}), the best {@code 4 x
 * limit} candidates (at most {@link #MAX_LIMIT}) are scored by it, through {@link ModelCalls} like any
 * model call, and ordered by its scores. Their passages then leave the server for the reranker: only
 * where the organization's residency policy allows it, redacted where it redacts. A reranker that is
 * refused, fails or is late never fails the search: the candidates keep the fused order, with a note.
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

    /** How many candidates a reranked search scores, for each result it returns. */
    static final int RERANK_CANDIDATES_PER_RESULT = 4;
    /** The part of each passage a reranker reads: a cross-encoder reads about 512 tokens of a pair anyway. */
    static final int RERANK_PASSAGE_CHARS = 2000;
    /** A search waits this long for its reranker, then goes on without it. */
    static final Duration RERANK_TIMEOUT = Duration.ofSeconds(10);

    /**
     * A chunk found; {@code page} is null for a document without pages; {@code score} is the
     * method's (BM25, cosine or fused), {@code rerankScore} the reranker's, null when not reranked.
     */
    public record Result(String libraryId, String documentId, String documentName, int chunk, String text, Integer page,
                         int start, int end, double score, Double rerankScore) {
    }

    /**
     * What a search found, and how it was ordered.
     *
     * @param rerankModel the configured reranker, or null for none
     * @param reranked    whether the results are in the reranker's order
     * @param note        why they are not, when a reranker is configured but was not used
     */
    public record Found(List<Result> results, String rerankModel, boolean reranked, String note) {
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
    public Found search(Principal caller, String query, List<String> libraryIds, int limit, Method method,
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
        String rerankModel = documents.settings().rerankModel();
        int candidates = rerankModel == null ? limit : Math.min(RERANK_CANDIDATES_PER_RESULT * limit, MAX_LIMIT);
        List<Result> fused = libraries.isEmpty() ? List.of() : run(caller, query, libraries, candidates, method);
        Found found = rerankModel == null || fused.isEmpty()
                ? new Found(fused.subList(0, Math.min(limit, fused.size())), rerankModel, false,
                rerankModel == null ? null : "nothing to rerank")
                : reranked(caller, clientIp, query, fused, limit, rerankModel);
        documents.audit().append(AuditEvent.of(caller.organizationId(), caller.actorId(), "documents.search",
                method.name().toLowerCase(Locale.ROOT) + " in " + String.join(",", libraries) + " ("
                        + found.results().size() + " results" + (found.reranked() ? ", reranked by " + rerankModel : "")
                        + ")", clientIp, AuditEvent.Outcome.SUCCESS));
        return found;
    }

    /**
     * The {@code limit} best of {@code fused} in the order {@code model} scores them, or the first
     * {@code limit} as they are, with the reason, when it cannot: the model call is audited and
     * metered (or refused) by {@link ModelCalls} either way.
     */
    private Found reranked(Principal caller, String clientIp, String query, List<Result> fused, int limit,
                           String model) {
        List<String> passages = fused.stream()
                .map(r -> r.text().length() > RERANK_PASSAGE_CHARS ? r.text().substring(0, RERANK_PASSAGE_CHARS) : r.text())
                .toList();
        String note;
        try {
            Reranking reranking = calls.rerank(caller, clientIp, "/v1/search",
                    new RerankRequest(model, query, passages, RERANK_TIMEOUT));
            List<Result> scored = new ArrayList<>(fused.size());
            for (int i = 0; i < fused.size(); i++) {
                Result r = fused.get(i);
                scored.add(new Result(r.libraryId(), r.documentId(), r.documentName(), r.chunk(), r.text(), r.page(),
                        r.start(), r.end(), r.score(), reranking.scores().get(i)));
            }
            // A stable sort: candidates the reranker scores alike keep their fused order.
            scored.sort(Comparator.comparing(Result::rerankScore).reversed());
            return new Found(List.copyOf(scored.subList(0, Math.min(limit, scored.size()))), model, true, null);
        } catch (ResidencyException e) {
            note = "the organization's residency policy does not allow the reranker '" + model + "': " + e.getMessage();
        } catch (LimitExceeded e) {
            note = "a limit stopped the call to the reranker '" + model + "': " + e.getMessage();
        } catch (BackendException e) {
            note = "the reranker '" + model + "' failed: " + e.getMessage();
        }
        return new Found(fused.subList(0, Math.min(limit, fused.size())), model, false, note
                + "; the results are in the order the search found them");
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
            // A renamed document's chunks keep the name they were indexed under: results show its name now.
            Map<String, String> names = documents.rows().names(hits.stream().map(DocumentIndex.Hit::documentId)
                    .collect(java.util.stream.Collectors.toSet()));
            return hits.stream().map(h -> new Result(h.libraryId(), h.documentId(),
                    names.getOrDefault(h.documentId(), h.title()), h.chunk(), h.text(), h.page() > 0 ? h.page() : null,
                    h.start(), h.end(), h.score(), null)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("the document index of " + org + " cannot be searched", e);
        }
    }

    private float[] embed(Principal caller, String query) {
        return Ingestion.usable(calls.embed(caller, null, "/v1/search",
                new EmbeddingRequest(ingestion.embeddingModel(), List.of(Ingestion.embedded(query)))).vectors().getFirst());
    }
}

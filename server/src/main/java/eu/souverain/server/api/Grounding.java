package eu.souverain.server.api;

import eu.souverain.server.backends.Backends;
import eu.souverain.server.backends.ChatRequest;
import eu.souverain.server.documents.QuotedPassages;
import eu.souverain.server.documents.Retrieval;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Answers grounded in document libraries (Mistral's {@code document_library} tool): the server
 * searches the libraries for the last user message, puts the passages found into the system
 * message as quoted data ({@link QuotedPassages}), and the answer carries their references,
 * numbered as the prompt numbers them.
 */
final class Grounding {

    /** Passages put into a prompt. */
    static final int PASSAGES = 5;
    /** What is kept of the best passage when none fits whole. */
    private static final int CUT_PASSAGE_CHARS = 200;

    private final Retrieval retrieval;
    private final Backends backends;

    Grounding(Retrieval retrieval, Backends backends) {
        this.retrieval = retrieval;
        this.backends = backends;
    }

    /** The request with the passages in its prompt, and the answer's closing fields: its references. */
    record Grounded(ChatRequest request, Map<String, Object> closing) {

        /** An answer that is not grounded: its request as it is, nothing to close with. */
        static Grounded none(ChatRequest request) {
            return new Grounded(request, Map.of());
        }

        /**
         * The references as a stored conversation keeps them: without the passages' text, so that
         * deleting a document takes its words with it (a reopened answer reads them from the document).
         */
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> kept() {
            List<Map<String, Object>> kept = new ArrayList<>();
            for (Map<String, Object> reference : (List<Map<String, Object>>) closing.getOrDefault("references",
                    List.of())) {
                Map<String, Object> copy = new LinkedHashMap<>(reference);
                copy.remove("text");
                kept.add(copy);
            }
            return kept;
        }
    }

    /**
     * The passages, best first, that leave the model's context room for the rest of the prompt and
     * the answer: half of it, at about two characters a token, less the instruction and the
     * question. A passage that does not fit is left out; the first is cut when none fits whole.
     * A model whose context is not known (a remote one) takes them all.
     */
    private List<Retrieval.Result> fitting(List<Retrieval.Result> found, String model, String question) {
        int context = backends.models().stream().filter(m -> m.id().equals(model)).mapToInt(m -> m.contextLength())
                .findFirst().orElse(0);
        if (context <= 0 || found.isEmpty()) {
            return found;
        }
        int budget = Math.max(CUT_PASSAGE_CHARS, context - QuotedPassages.INSTRUCTION.length() - question.length());
        List<Retrieval.Result> fitting = new ArrayList<>();
        for (Retrieval.Result passage : found) {
            if (passage.text().length() <= budget) {
                fitting.add(passage);
                budget -= passage.text().length();
            }
        }
        if (fitting.isEmpty()) {
            Retrieval.Result best = found.getFirst();
            fitting.add(new Retrieval.Result(best.libraryId(), best.documentId(), best.documentName(), best.chunk(),
                    best.text().substring(0, Math.min(best.text().length(), CUT_PASSAGE_CHARS)), best.page(),
                    best.start(), best.end(), best.score(), best.rerankScore()));
        }
        return fitting;
    }

    Grounded ground(Context ctx, ChatRequest request, List<String> libraryIds) {
        if (!(request.prompt() instanceof ChatRequest.Conversation conversation)) {
            throw new IllegalArgumentException("only a conversation can be grounded in documents");
        }
        List<Map<String, Object>> messages = new ArrayList<>(conversation.messages());
        String question = null;
        for (int i = messages.size() - 1; i >= 0 && question == null; i--) {
            if ("user".equals(messages.get(i).get("role")) && messages.get(i).get("content") instanceof String text) {
                question = text;
            }
        }
        if (question == null || question.isBlank()) {
            throw ApiError.invalid("messages", "a document_library tool searches for the last user message; there is none");
        }
        List<Retrieval.Result> found = retrieval.search(Authentication.principal(ctx),
                question.length() > Retrieval.MAX_QUERY_CHARS ? question.substring(0, Retrieval.MAX_QUERY_CHARS) : question,
                libraryIds, PASSAGES, Retrieval.Method.HYBRID, ctx.ip()).results();
        List<Retrieval.Result> passages = fitting(found, request.model(), question);
        List<Map<String, Object>> references = new ArrayList<>();
        for (int i = 0; i < passages.size(); i++) {
            Map<String, Object> reference = new LinkedHashMap<>();
            reference.put("number", i + 1);
            reference.putAll(LibrariesRoutes.result(passages.get(i)));
            reference.remove("object");
            references.add(reference);
        }
        if (!passages.isEmpty()) {
            String quoted = QuotedPassages.of(passages);
            if (!messages.isEmpty() && "system".equals(messages.getFirst().get("role"))
                    && messages.getFirst().get("content") instanceof String system) {
                Map<String, Object> first = new LinkedHashMap<>(messages.getFirst());
                first.put("content", system + "\n\n" + quoted);
                messages.set(0, first);
            } else {
                messages.addFirst(new LinkedHashMap<>(Map.of("role", "system", "content", quoted)));
            }
        }
        ChatRequest grounded = new ChatRequest(request.model(), new ChatRequest.Conversation(messages,
                conversation.assistantPrefix(), conversation.trimOldestTurns()), request.sampling(), request.maxTokens(),
                request.stops(), request.choices(), request.format(), request.tools());
        return new Grounded(grounded, Map.of("references", references));
    }
}

package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.backends.BackendLocation;
import eu.souverain.server.backends.Backends;
import eu.souverain.server.backends.LocalBackend;
import eu.souverain.server.backends.RemoteBackend;
import eu.souverain.server.catalogue.CatalogueStore;
import eu.souverain.server.documents.Documents;
import eu.souverain.server.limits.Metering;
import eu.souverain.server.privacy.PiiKind;
import eu.souverain.server.privacy.Privacy;
import eu.souverain.server.privacy.RedactionSettings;
import eu.souverain.server.privacy.Redactions;
import eu.souverain.server.provenance.ProvenanceSigner;
import eu.souverain.server.sovereignty.Residency;
import eu.souverain.server.sovereignty.ResidencyPolicy;
import eu.souverain.server.store.TestDatabases;
import eu.souverain.server.vault.Vault;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Document search reranked by a remote backend's rerank model ({@code serve --rerank-model}): a
 * stand-in reranker on loopback scores each passage by the query words it does NOT share, so that
 * its order is the reverse of the lexical one and the test can tell which order came back. A
 * reranker the residency policy refuses, or that fails, leaves the search's own order with a note;
 * the call is audited and metered as a model call of /v1/search.
 */
class RerankedSearchTest {

    private static final String QUERY = "fire drill schedule tuesday";
    private static final String EMAIL = "jeanne.martin@example.fr";

    @TempDir
    Path dir;
    private TenancyFixture f;
    private HttpServer remote;
    private Residency residency;
    private Redactions redactions;
    private final List<JsonNode> received = new CopyOnWriteArrayList<>();
    /** The backend's own timeout, shorter than a search's wait for its reranker: the shorter one applies. */
    private static final Duration RERANKER_TIMEOUT = Duration.ofSeconds(1);

    /**
     * How the stand-in answers: "vllm" ({results: [{index, relevance_score}]}), "tei" ([{index, score}]),
     * "fail" (500), "slow" (past the timeout) or "beside" (an index of no document).
     */
    private volatile String answers = "vllm";
    private String library;

    @BeforeEach
    void start() throws Exception {
        remote = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        remote.createContext("/v1/rerank", this::rerank);
        remote.start();
        f = new TenancyFixture(TestDatabases.SQLITE, dir);
        AuditLog audit = new AuditLog(f.database, f.clock);
        residency = new Residency(f.database, audit, f.clock);
        residency.setPolicy(f.orgA.id(), new ResidencyPolicy(true, List.of(), List.of(), List.of()), "setup", null);
        RemoteBackend reranker = new RemoteBackend(new RemoteBackend.Config("rerank-host",
                RemoteBackend.Kind.OPENAI_COMPATIBLE, URI.create("http://127.0.0.1:" + remote.getAddress().getPort() + "/v1"),
                null, Map.of("reranker", "BAAI/bge-reranker-v2-m3"),
                new BackendLocation("vllm", "Remote SAS", "FR", null, null, List.of()), RERANKER_TIMEOUT));
        Backends backends = Backends.of(LocalBackend.load(Map.of("stories260K", TestServer.BUNDLED_MODEL), 0, 1, 4),
                List.of(reranker));
        Vault vault = TestServices.vault(f.database, dir, audit, f.clock);
        redactions = new Redactions(f.database, audit, f.clock);
        f.server.serve(new ApiServer.Services(backends, residency, Privacy.open(f.database, vault, audit, f.clock),
                redactions, TestServices.report(f.server, f.tenancy, f.database, dir, vault, redactions, f.clock, backends),
                new Metering(f.database, audit, f.clock), ProvenanceSigner.open(dir.resolve(ProvenanceSigner.FILE)),
                new CatalogueStore(f.database, audit, vault, f.clock), new Documents(f.database, vault, audit, f.clock,
                dir, Documents.Settings.defaults().withRerankModel("reranker"))));
        library = LibrariesTest.create(f.a, "Safety");
        for (Map.Entry<String, String> file : Map.of(
                "drill.md", "# Fire drill\n\nThe fire drill schedule: the fire drill takes place every Tuesday at ten.\n",
                "exits.md", "# Exits\n\nFire exits and the drill assembly point are on the ground floor.\n",
                "kitchen.md", "# Kitchen\n\nThe kitchen fire blanket hangs by the door; ask " + EMAIL + " for a new one.\n")
                .entrySet()) {
            String id = LibrariesTest.upload(f.a, library, file.getKey(), file.getValue().getBytes(StandardCharsets.UTF_8))
                    .body().get("id").asText();
            assertThat(LibrariesTest.awaitProcessed(f.a, library, id).get("processing_status").asText())
                    .isEqualTo("Completed");
        }
    }

    @AfterEach
    void stop() {
        f.close();
        remote.stop(0);
    }

    /** The query's words that {@code text} does not hold, over the query's words: the lexical order reversed. */
    private static double standInScore(String query, String text) {
        Set<String> words = words(text);
        Set<String> asked = words(query);
        return (double) asked.stream().filter(w -> !words.contains(w)).count() / asked.size();
    }

    private static Set<String> words(String text) {
        return Arrays.stream(text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")).filter(w -> !w.isEmpty())
                .collect(Collectors.toSet());
    }

    private void rerank(HttpExchange exchange) throws IOException {
        JsonNode body = TestServer.parse(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        received.add(body);
        if (answers.equals("slow")) {
            try {
                Thread.sleep(RERANKER_TIMEOUT.multipliedBy(3).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (answers.equals("beside")) {
            byte[] bytes = "{\"results\":[{\"index\":7,\"relevance_score\":1.0}]}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
            return;
        }
        if (answers.equals("fail")) {
            exchange.sendResponseHeaders(500, -1);
            exchange.close();
            return;
        }
        boolean tei = answers.equals("tei");
        JsonNode passages = body.get(tei ? "texts" : "documents");
        List<ObjectNode> results = new ArrayList<>();
        for (int i = 0; i < passages.size(); i++) {
            results.add(TestServer.JSON.createObjectNode().put("index", i)
                    .put(tei ? "score" : "relevance_score", standInScore(body.get("query").asText(), passages.get(i).asText())));
        }
        // Both answer best first, as vLLM and TEI do.
        results.sort((a, b) -> Double.compare(b.get(tei ? "score" : "relevance_score").asDouble(),
                a.get(tei ? "score" : "relevance_score").asDouble()));
        ArrayNode array = TestServer.JSON.createArrayNode().addAll(results);
        JsonNode answer = tei ? array : TestServer.JSON.createObjectNode().put("model", body.get("model").asText())
                .<ObjectNode>set("results", array).set("usage", TestServer.JSON.createObjectNode().put("total_tokens", 42));
        byte[] bytes = answer.toString().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private JsonNode search(String method) {
        TestServer.Reply reply = f.a.post("/v1/search", "{\"query\":\"" + QUERY + "\",\"method\":\"" + method
                + "\",\"limit\":3,\"library_ids\":[\"" + library + "\"]}");
        assertThat(reply.status()).as(reply.raw().body()).isEqualTo(200);
        return reply.body();
    }

    private static List<String> names(JsonNode response) {
        List<String> names = new ArrayList<>();
        response.get("data").forEach(r -> names.add(r.get("document_name").asText()));
        return names;
    }

    @Test
    void theRerankersScoresOrderTheResultsAndTheCallIsAuditedAndMetered() {
        JsonNode reranked = search("lexical");
        assertThat(reranked.get("rerank").get("model").asText()).isEqualTo("reranker");
        assertThat(reranked.get("rerank").get("applied").asBoolean()).isTrue();
        assertThat(reranked.get("rerank").has("note")).isFalse();
        assertThat(names(reranked)).containsExactly("kitchen.md", "exits.md", "drill.md");
        for (JsonNode result : reranked.get("data")) {
            assertThat(result.get("rerank_score").asDouble())
                    .isEqualTo(standInScore(QUERY, result.get("text").asText()));
            assertThat(result.get("score").asDouble()).as("the search's own score stays").isPositive();
        }
        JsonNode sent = received.getFirst();
        assertThat(sent.get("model").asText()).as("the remote's name for the model").isEqualTo("BAAI/bge-reranker-v2-m3");
        assertThat(sent.get("query").asText()).isEqualTo(QUERY);
        assertThat(sent.get("documents")).isEqualTo(sent.get("texts"));
        assertThat(sent.get("documents")).hasSize(3);

        answers = "fail";
        JsonNode fused = search("lexical");
        assertThat(fused.get("rerank").get("applied").asBoolean()).isFalse();
        assertThat(fused.get("rerank").get("note").asText()).contains("reranker 'reranker' failed")
                .contains("the order the search found them");
        assertThat(names(fused)).as("BM25's order, which the reranker reversed").containsExactly("drill.md", "exits.md",
                "kitchen.md");
        assertThat(fused.get("data").get(0).has("rerank_score")).isFalse();

        assertThat(f.audit("model.call", "SUCCESS")).anySatisfy(e -> assertThat(e.get("resource")).isEqualTo("reranker"));
        assertThat(f.audit("model.call", "FAILURE")).anySatisfy(e -> assertThat(e.get("resource")).isEqualTo("reranker"));
        assertThat(f.count("SELECT COUNT(*) FROM usage_records WHERE endpoint = '/v1/search' AND model = 'reranker'"
                + " AND backend = 'rerank-host' AND outcome = 'completed' AND prompt_tokens = 42")).isEqualTo(1);
        assertThat(f.count("SELECT COUNT(*) FROM usage_records WHERE endpoint = '/v1/search' AND model = 'reranker'"
                + " AND outcome = 'failed'")).isEqualTo(1);
        assertThat(f.audit("documents.search", "SUCCESS")).first()
                .satisfies(e -> assertThat((String) e.get("resource")).endsWith("(3 results, reranked by reranker)"));
    }

    @Test
    void aLateOrNonsensicalRerankerLeavesTheSearchItsOwnOrder() {
        // Slow last: the stand-in answers one request at a time, and would still be asleep for the next.
        for (String mode : List.of("beside", "slow")) {
            answers = mode;
            JsonNode fused = search("lexical");
            assertThat(fused.get("rerank").get("applied").asBoolean()).as(mode).isFalse();
            assertThat(fused.get("rerank").get("note").asText()).as(mode)
                    .contains(mode.equals("slow") ? "did not answer within 1 s" : "not an index of the 3 documents");
            assertThat(names(fused)).as(mode).containsExactly("drill.md", "exits.md", "kitchen.md");
        }
    }

    @Test
    void aTeiRerankerIsReadTooAndHybridSearchIsRerankedAlike() {
        answers = "tei";
        JsonNode reranked = search("hybrid");
        assertThat(reranked.get("rerank").get("applied").asBoolean()).isTrue();
        assertThat(names(reranked).getFirst()).isEqualTo("kitchen.md");
        List<Double> scores = new ArrayList<>();
        reranked.get("data").forEach(r -> scores.add(r.get("rerank_score").asDouble()));
        assertThat(scores).isSortedAccordingTo((a, b) -> Double.compare(b, a));
    }

    @Test
    void aRerankerThePolicyDoesNotAllowIsNotCalledAndTheSearchKeepsItsOrder() {
        residency.setPolicy(f.orgA.id(), ResidencyPolicy.DEFAULT, "test", null);
        JsonNode fused = search("lexical");
        assertThat(received).as("no passage left for the reranker").isEmpty();
        assertThat(fused.get("rerank").get("applied").asBoolean()).isFalse();
        assertThat(fused.get("rerank").get("note").asText()).contains("residency policy");
        assertThat(names(fused)).containsExactly("drill.md", "exits.md", "kitchen.md");
        assertThat(f.audit("model.call", "DENIED")).anySatisfy(e -> assertThat(e.get("resource")).isEqualTo("reranker"));
        assertThat(f.count("SELECT COUNT(*) FROM usage_records WHERE model = 'reranker' AND outcome = 'refused'"))
                .isEqualTo(1);
    }

    @Test
    void passagesLeaveRedactedWhenTheOrganizationRedacts() {
        redactions.set(f.orgA.id(), new RedactionSettings(true, EnumSet.of(PiiKind.EMAIL)), "test", null);
        JsonNode reranked = search("lexical");
        assertThat(reranked.get("rerank").get("applied").asBoolean()).isTrue();
        assertThat(received.getFirst().toString()).doesNotContain(EMAIL).contains("kitchen fire blanket");
        assertThat(reranked.toString()).as("the caller reads the passage whole").contains(EMAIL);
    }

    @Test
    void aGroundedAnswerCitesThePassagesInTheRerankersOrder() {
        TestServer.Reply reply = f.a.post("{\"model\":\"stories260K\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\","
                + "\"content\":\"" + QUERY + "\"}],\"tools\":[{\"type\":\"document_library\",\"library_ids\":[\""
                + library + "\"]}]}");
        assertThat(reply.status()).as(reply.raw().body()).isEqualTo(200);
        JsonNode references = reply.body().get("references");
        assertThat(references.get(0).get("document_name").asText()).isEqualTo("kitchen.md");
        assertThat(references.get(0).has("rerank_score")).isTrue();
        assertThat(received).hasSize(1);
    }
}

package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.backends.BackendLocation;
import eu.souverain.server.backends.LocalBackend;
import eu.souverain.server.backends.SentenceEmbeddingModel;
import eu.souverain.server.documents.TestCorpus;
import eu.souverain.server.store.TestDatabases;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The measurements of docs/performance.md (documents), on demand ({@code -Dsouverain.measure=true}):
 * a 1,000-page PDF uploaded and indexed (pages per second, parsing, chunking, embedding with the
 * bundled sentence-embedding model and indexing included), then search latency at about 10,000 chunks, lexical and
 * hybrid, p50 and p95 over 200 queries each.
 */
@EnabledIfSystemProperty(named = "souverain.measure", matches = "true")
class DocumentsScaleTest {

    private static final String[] WORDS = ("contract invoice supplier delivery warehouse payment audit policy employee"
            + " safety training quality customer refund travel expense laptop password network backup incident"
            + " report manager office budget project deadline meeting schedule review approval procedure").split(" ");

    @TempDir
    Path dir;

    private static String sentence(Random random, int words) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < words; i++) {
            s.append(i == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
        }
        return s.append(" number ").append(random.nextInt(100_000)).append('.').toString();
    }

    @Test
    void aThousandPagesAreIndexedAndSearchedAtTenThousandChunks() throws Exception {
        Random random = new Random(42);
        List<List<String>> pages = new ArrayList<>();
        for (int p = 0; p < 1000; p++) {
            List<String> paragraphs = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                paragraphs.add(sentence(random, 12) + " " + sentence(random, 10));
            }
            pages.add(paragraphs);
        }
        byte[] pdf = TestCorpus.pdfPages(pages, null);
        try (TenancyFixture f = new TenancyFixture(TestDatabases.SQLITE, dir)) {
            // As serve runs by default: the bundled sentence-embedding model embeds the chunks and queries.
            f.server.serve(TestServices.of(f.server, f.tenancy, f.database, dir, f.clock,
                    LocalBackend.load(Map.of("stories260K", TestServer.BUNDLED_MODEL),
                            new LocalBackend.Settings(0, 1, 16, 4, 0, null), BackendLocation.thisHost(null, null, null,
                                    List.of()), SentenceEmbeddingModel.loadBundled(2, 64, null))));
            TestServer.Reply created = f.a.post("/v1/libraries", "{\"name\":\"Scale\",\"chunk_size\":300}");
            String library = created.body().get("id").asText();
            long started = System.nanoTime();
            TestServer.Reply uploaded = LibrariesTest.upload(f.a, library, "thousand.pdf", pdf);
            assertThat(uploaded.status()).as(uploaded.raw().body()).isEqualTo(200);
            JsonNode status = LibrariesTest.awaitProcessed(f.a, library, uploaded.body().get("id").asText(), 1800);
            double seconds = (System.nanoTime() - started) / 1e9;
            assertThat(status.get("processing_status").asText()).as(status.toString()).isEqualTo("Completed");
            JsonNode document = f.a.get("/v1/libraries/" + library + "/documents/" + uploaded.body().get("id").asText()).body();
            int chunks = document.get("number_of_chunks").asInt();
            System.out.printf("MEASURE indexed %d pages (%d bytes of PDF) into %d chunks in %.1f s: %.1f pages/s%n",
                    document.get("number_of_pages").asInt(), pdf.length, chunks, seconds, 1000 / seconds);
            assertThat(document.get("number_of_pages").asInt()).isEqualTo(1000);
            for (String method : List.of("lexical", "hybrid", "semantic")) {
                long[] nanos = new long[200];
                for (int i = 0; i < nanos.length; i++) {
                    String query = WORDS[random.nextInt(WORDS.length)] + " " + WORDS[random.nextInt(WORDS.length)] + " "
                            + WORDS[random.nextInt(WORDS.length)];
                    long t0 = System.nanoTime();
                    TestServer.Reply reply = f.a.post("/v1/search", "{\"query\":\"" + query + "\",\"library_ids\":[\""
                            + library + "\"],\"limit\":10,\"method\":\"" + method + "\"}");
                    nanos[i] = System.nanoTime() - t0;
                    assertThat(reply.status()).isEqualTo(200);
                    assertThat(reply.body().get("data")).isNotEmpty();
                }
                Arrays.sort(nanos);
                System.out.printf("MEASURE %s search at %d chunks: p50 %.1f ms, p95 %.1f ms (HTTP round trip, loopback)%n",
                        method, chunks, nanos[nanos.length / 2] / 1e6, nanos[nanos.length * 95 / 100] / 1e6);
            }
        }
    }
}

package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.backends.LocalBackend;
import eu.souverain.server.catalogue.StandInShop;
import eu.souverain.server.store.TestDatabases;
import eu.souverain.server.tenancy.Scope;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** /v1/catalogue/jobs against the stand-in shop: a dry run reviewed, then its proposals written. */
class CatalogueRoutesTest {

    private static final String SHOP_KEY = "ZR92FNY5UFRERNI3O9Z5QDHWKTP3YIIT";

    @TempDir
    Path dir;

    private TenancyFixture serving(TestDatabases kind) throws IOException {
        TenancyFixture fixture = new TenancyFixture(kind, dir);
        fixture.server.serve(TestServices.of(fixture.server, fixture.tenancy, fixture.database, dir, fixture.clock,
                LocalBackend.load(Map.of("stories260K", TestServer.BUNDLED_MODEL), 0, 1, 16)));
        return fixture;
    }

    private static String job(String shop, boolean dryRun, String products) {
        return "{\"shop\":\"" + shop + "\",\"key\":\"" + SHOP_KEY + "\",\"languages\":[\"fr\",\"en\"],"
                + "\"fields\":[\"meta_title\",\"meta_description\",\"description_short\"],\"products\":\"" + products
                + "\",\"dry_run\":" + dryRun + ",\"max_tokens\":160,\"tone\":\"chaleureux\"}";
    }

    private static JsonNode awaitEnd(TestServer client, String id) throws InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < deadline) {
            JsonNode job = client.get("/v1/catalogue/jobs/" + id).body();
            if (!List.of("queued", "running").contains(job.path("status").asText())) {
                return job;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("job " + id + " did not end");
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aDryRunIsReviewedThenItsProposalsAreWritten(TestDatabases kind) throws Exception {
        try (TenancyFixture f = serving(kind); StandInShop shop = new StandInShop(SHOP_KEY, "8.1.2")) {
            shop.fillCatalogue(6);
            TestServer.Reply created = f.a.post("/v1/catalogue/jobs", job(shop.url(), true, "1-3"));
            assertThat(created.status()).as("%s", created.body()).isEqualTo(200);
            assertThat(created.raw().body()).doesNotContain(SHOP_KEY);
            String id = created.body().path("id").asText();
            assertThat(id).startsWith("catjob_");
            JsonNode done = awaitEnd(f.a, id);
            assertThat(done.path("status").asText()).as("%s", done).isEqualTo("succeeded");
            // Products 1 and 2 are empty (3 fields x 2 languages each); product 3 is filled.
            assertThat(done.path("counts").path("fields_proposed").asInt()).isEqualTo(12);
            assertThat(done.path("counts").path("fields_skipped").asInt()).isEqualTo(6);
            assertThat(done.path("counts").path("products_done").asInt()).isEqualTo(3);
            assertThat(shop.writeRequests.get()).isZero();

            TestServer.Reply review = f.a.get("/v1/catalogue/jobs/" + id + "/review");
            assertThat(review.status()).isEqualTo(200);
            assertThat(review.body().path("data")).hasSize(12);
            for (JsonNode row : review.body().path("data")) {
                assertThat(row.path("product").asInt()).isIn(1, 2);
                assertThat(row.path("before").asText()).isEmpty();
                assertThat(row.path("after").asText()).isNotBlank();
                if (row.path("field").asText().equals("meta_title")) {
                    assertThat(row.path("after").asText()).hasSizeLessThanOrEqualTo(70).doesNotContain("<");
                }
                assertThat(row.path("provenance").asText()).isNotBlank();
            }
            // The proposals are stored encrypted, and the key is gone once the job has ended.
            List<byte[]> stored = f.database.jdbi().withHandle(h -> h.createQuery(
                    "SELECT after_text FROM catalogue_fields WHERE job_id = :id").bind("id", id)
                    .map((rs, ctx) -> rs.getBytes(1)).list());
            String firstAfter = review.body().path("data").get(0).path("after").asText();
            assertThat(stored).hasSize(12).noneMatch(b -> new String(b, StandardCharsets.ISO_8859_1).contains(firstAfter));
            int keysKept = f.database.jdbi().withHandle(h -> h.createQuery(
                    "SELECT COUNT(*) FROM catalogue_jobs WHERE shop_key IS NOT NULL").mapTo(Integer.class).one());
            assertThat(keysKept).isZero();

            // The reviewed proposals, exactly, are what the shop gets: the key is given again, as it was not kept.
            TestServer.Reply apply = f.a.post("/v1/catalogue/jobs/" + id + "/apply", "{\"key\":\"" + SHOP_KEY + "\"}");
            assertThat(apply.status()).as("%s", apply.body()).isEqualTo(200);
            JsonNode written = awaitEnd(f.a, apply.body().path("id").asText());
            assertThat(written.path("status").asText()).as("%s", written).isEqualTo("succeeded");
            assertThat(written.path("settings").path("from_review").asText()).isEqualTo(id);
            assertThat(written.path("counts").path("fields_written").asInt()).isEqualTo(12);
            for (JsonNode row : review.body().path("data")) {
                int product = row.path("product").asInt();
                int language = row.path("language_id").asInt();
                String field = row.path("field").asText();
                assertThat(StandInShop.lang(shop.products.get(product), field).get(language))
                        .isEqualTo(row.path("after").asText());
                assertThat(shop.writesOf(product, field, language)).isEqualTo(1);
            }
            TestServer.Reply again = f.a.post("/v1/catalogue/jobs/" + apply.body().path("id").asText() + "/apply",
                    "{\"key\":\"" + SHOP_KEY + "\"}");
            assertThat(again.status()).isEqualTo(400);
            assertThat(TenancyFixture.error(again).path("message").asText()).contains("is not a dry run");

            TestServer.Reply list = f.a.get("/v1/catalogue/jobs");
            assertThat(list.body().path("data")).hasSize(2);
            assertThat(list.raw().body()).doesNotContain(SHOP_KEY);
            // Another organization's job does not exist for this one.
            assertThat(f.b.get("/v1/catalogue/jobs/" + id).status()).isEqualTo(404);
            assertThat(f.b.get("/v1/catalogue/jobs/" + id + "/review").status()).isEqualTo(404);
            assertThat(f.b.get("/v1/catalogue/jobs").body().path("data")).isEmpty();
            List<String> entries = f.database.jdbi().withHandle(h -> h.createQuery(
                    "SELECT action || ' ' || COALESCE(resource, '') FROM audit_entries").mapTo(String.class).list());
            String audit = String.join("\n", entries);
            assertThat(audit).contains("catalogue.job.create", "catalogue.text.generated").doesNotContain(SHOP_KEY);
        }
    }

    @ParameterizedTest
    @EnumSource(value = TestDatabases.class, names = "SQLITE")
    void badJobsAreRefusedNamingTheProblem(TestDatabases kind) throws Exception {
        try (TenancyFixture f = serving(kind)) {
            // A job has the server call an address of the caller's choosing: a key that may only chat may not.
            TestServer chatOnly = new TestServer(f.server, f.key(f.orgA, Set.of(Scope.CHAT)));
            TestServer.Reply notAdmin = chatOnly.post("/v1/catalogue/jobs", job("http://127.0.0.1:9/", true, "1"));
            assertThat(notAdmin.status()).isEqualTo(403);
            assertThat(TenancyFixture.error(notAdmin).path("message").asText()).contains("lacks the scope 'admin'");
            assertThat(chatOnly.get("/v1/catalogue/jobs").status()).isEqualTo(403);
            TestServer.Reply noKey = f.a.post("/v1/catalogue/jobs", "{\"shop\":\"https://shop.example\","
                    + "\"languages\":[\"fr\"],\"fields\":[\"meta_title\"]}");
            // A missing field is a schema error, 422, as for every other route.
            assertThat(noKey.status()).isEqualTo(422);
            assertThat(TenancyFixture.error(noKey).path("param").asText()).isEqualTo("key");
            TestServer.Reply badField = f.a.post("/v1/catalogue/jobs", "{\"shop\":\"https://shop.example\",\"key\":\""
                    + SHOP_KEY + "\",\"languages\":[\"fr\"],\"fields\":[\"price\"]}");
            assertThat(badField.status()).isEqualTo(400);
            assertThat(TenancyFixture.error(badField).path("message").asText()).contains("unknown field 'price'");
            assertThat(badField.raw().body()).doesNotContain(SHOP_KEY);
            TestServer.Reply badShop = f.a.post("/v1/catalogue/jobs", "{\"shop\":\"ftp://shop.example\",\"key\":\""
                    + SHOP_KEY + "\",\"languages\":[\"fr\"],\"fields\":[\"meta_title\"]}");
            assertThat(badShop.status()).isEqualTo(400);
            assertThat(TenancyFixture.error(badShop).path("message").asText()).contains("http(s)://HOST");
            assertThat(f.a.get("/v1/catalogue/jobs/catjob_nope").status()).isEqualTo(404);
            TestServer.Reply unknownModel = f.a.post("/v1/catalogue/jobs", "{\"shop\":\"https://shop.example\",\"key\":\""
                    + SHOP_KEY + "\",\"languages\":[\"fr\"],\"fields\":[\"meta_title\"],\"model\":\"gpt-9\"}");
            assertThat(unknownModel.status()).isEqualTo(404);
            assertThat(TenancyFixture.error(unknownModel).path("message").asText()).contains("gpt-9");
            TestServer.Reply greedy = f.a.post("/v1/catalogue/jobs", "{\"shop\":\"https://shop.example\",\"key\":\""
                    + SHOP_KEY + "\",\"languages\":[\"fr\"],\"fields\":[\"meta_title\"],\"concurrency\":16}");
            assertThat(greedy.status()).isEqualTo(400);
            assertThat(TenancyFixture.error(greedy).path("message").asText()).contains("at most 4 in the server");
            assertThat(f.a.get("/v1/catalogue/jobs").body().path("data")).isEmpty();
        }
    }
}

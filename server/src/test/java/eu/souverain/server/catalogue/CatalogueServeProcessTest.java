package eu.souverain.server.catalogue;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.server.cli.Main;
import eu.souverain.server.tenancy.FirstStart;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A catalogue job of the API in {@code souverain serve}, a process of its own: the server is killed
 * with SIGKILL in the middle of the job, started again, and the job resumes by itself (its key
 * kept encrypted in the store) and ends with every empty field written exactly once.
 */
class CatalogueServeProcessTest {

    private static final Path HOME = Path.of("").toAbsolutePath().getParent();
    private static final String SHOP_KEY = "ZR92FNY5UFRERNI3O9Z5QDHWKTP3YIIT";
    private static final Pattern READY = Pattern.compile("souverain: serving \\S+ at (http://127\\.0\\.0\\.1:\\d+)/v1");
    private static final Pattern API_KEY = Pattern.compile("API key:\\s+(sk-souv-\\S+)");
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private record Served(Process process, String base) {}

    private Served serve(int run) throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Dsouverain.home=" + HOME, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "serve", "--port", "0", "--threads", "1", "--data", dir.resolve("data").toString(), "--country", "FR"));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().remove(FirstStart.OWNER_PASSWORD_VARIABLE);
        Path out = dir.resolve("out" + run + ".txt");
        Path err = dir.resolve("err" + run + ".txt");
        builder.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process process = builder.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && process.isAlive()) {
            Matcher ready = READY.matcher(Files.readString(err));
            if (ready.find()) {
                return new Served(process, ready.group(1));
            }
            Thread.sleep(50);
        }
        process.destroyForcibly();
        throw new AssertionError("serve did not start: " + Files.readString(err));
    }

    private JsonNode call(String method, String url, String apiKey, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + apiKey);
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.body()).doesNotContain(SHOP_KEY);
        return JSON.readTree(response.body());
    }

    @Test
    void aJobResumesAfterTheServerIsKilledAndWritesNoFieldTwice() throws Exception {
        try (StandInShop shop = new StandInShop(SHOP_KEY, "8.1.2")) {
            shop.fillCatalogue(60);
            shop.writeMillis = 30;
            Served first = serve(1);
            try {
                killMidJob(shop, first);
            } finally {
                first.process().destroyForcibly();
            }
        }
    }

    /** Starts a job, kills the server in its middle, starts it again and checks the job ends as it should. */
    private void killMidJob(StandInShop shop, Served first) throws Exception {
        Matcher key = API_KEY.matcher(Files.readString(dir.resolve("out1.txt")));
        assertThat(key.find()).isTrue();
        String apiKey = key.group(1);
        JsonNode job = call("POST", first.base() + "/v1/catalogue/jobs", apiKey, "{\"shop\":\"" + shop.url()
                + "\",\"key\":\"" + SHOP_KEY + "\",\"languages\":\"fr,en\",\"fields\":\"description_short,"
                + "meta_title,meta_description\",\"concurrency\":2,\"max_tokens\":200}");
        String id = job.path("id").asText();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (shop.writeRequests.get() < 10 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(shop.writeRequests.get()).isGreaterThanOrEqualTo(10);
        assertThat(new ProcessBuilder("kill", "-9", Long.toString(first.process().pid())).start().waitFor()).isZero();
        assertThat(first.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
        int writesAtKill = shop.writeRequests.get();
        assertThat(writesAtKill).isLessThan(40);

        Served second = serve(2);
        try {
            JsonNode ended;
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            do {
                Thread.sleep(200);
                ended = call("GET", second.base() + "/v1/catalogue/jobs/" + id, apiKey, null);
            } while (List.of("queued", "running").contains(ended.path("status").asText())
                    && System.nanoTime() < deadline);
            assertThat(ended.path("status").asText()).as("%s", ended).isEqualTo("succeeded");
            assertThat(ended.path("counts").path("products_done").asInt()).isEqualTo(60);
            assertThat(ended.path("counts").path("fields_failed").asInt()).isZero();
        } finally {
            second.process().destroy();
            second.process().waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(shop.writeRequests.get()).isGreaterThan(writesAtKill);
        for (int product = 1; product <= 60; product++) {
            for (String field : List.of("description_short", "meta_title", "meta_description")) {
                for (int language : List.of(1, 2)) {
                    boolean filledBefore = product % 3 == 0
                            || (field.equals("meta_title") && language == 1 && product % 5 == 0);
                    assertThat(shop.writesOf(product, field, language))
                            .as("writes of %s of %d in %d", field, product, language).isEqualTo(filledBefore ? 0 : 1);
                    assertThat(StandInShop.lang(shop.products.get(product), field).get(language)).isNotBlank();
                }
            }
        }
        assertThat(Files.readString(dir.resolve("err1.txt")) + Files.readString(dir.resolve("err2.txt")))
                .doesNotContain(SHOP_KEY);
    }
}

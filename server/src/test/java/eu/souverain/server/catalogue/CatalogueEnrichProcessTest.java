package eu.souverain.server.catalogue;

import static org.assertj.core.api.Assertions.assertThat;

import eu.souverain.server.cli.Main;
import eu.souverain.server.store.Database;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code souverain catalogue enrich} as a merchant runs it, in a process of its own, against the
 * stand-in shop: 200 products in French and English, killed with SIGKILL midway and run again.
 */
class CatalogueEnrichProcessTest {

    private static final Path HOME = Path.of("").toAbsolutePath().getParent();
    private static final String KEY = "ZR92FNY5UFRERNI3O9Z5QDHWKTP3YIIT";
    private static final List<String> FIELDS = List.of("description_short", "description", "meta_title",
            "meta_description");

    @TempDir
    Path dir;

    private record Finished(int exit, String out, String err) {}

    private ProcessBuilder command(String shop, String... extra) {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Dsouverain.home=" + HOME, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "catalogue", "enrich", "--shop", shop, "--key", "env:SHOP_KEY", "--languages", "fr,en",
                "--fields", String.join(",", FIELDS), "--concurrency", "4", "--max-tokens", "200", "--threads", "1",
                "--data", dir.resolve("data").toString(), "--country", "FR"));
        command.addAll(List.of(extra));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("SHOP_KEY", KEY);
        builder.redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile());
        return builder;
    }

    private Finished finish(Process process) throws Exception {
        if (!process.waitFor(240, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the run did not end: " + Files.readString(dir.resolve("err.txt")));
        }
        return new Finished(process.exitValue(), Files.readString(dir.resolve("out.txt")),
                Files.readString(dir.resolve("err.txt")));
    }

    private void createOrganization() {
        int exit = Main.run(new String[] {"orgs", "create", "shop", "--data", dir.resolve("data").toString()},
                new java.io.PrintWriter(java.io.Writer.nullWriter()), new java.io.PrintWriter(System.err, true));
        assertThat(exit).isZero();
    }

    @Test
    void fillsEveryEmptyFieldOnceSurvivingAKillAndLeavesFilledOnesAlone() throws Exception {
        createOrganization();
        try (StandInShop shop = new StandInShop(KEY, "8.1.2")) {
            shop.fillCatalogue(200);
            Map<Integer, Map<String, Object>> before = deepCopy(shop);
            // Slow, failing and throttled writes: the retries and the concurrency limit are exercised too.
            shop.writeMillis = 20;
            shop.failEveryNthWrite = 13;
            shop.throttleEveryNthWrite = 29;

            long started = System.nanoTime();
            Process first = command(shop.url()).start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
                while (shop.writeRequests.get() < 40 && first.isAlive() && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(first.isAlive()).as("still running at 40 writes; stderr: %s",
                        Files.readString(dir.resolve("err.txt"))).isTrue();
                Process kill = new ProcessBuilder("kill", "-9", Long.toString(first.pid())).inheritIO().start();
                assertThat(kill.waitFor()).isZero();
                assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
            } finally {
                first.destroyForcibly();
            }
            assertThat(first.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);
            int writtenBeforeKill = shop.writes.values().stream().mapToInt(w -> w.get()).sum();
            assertThat(writtenBeforeKill).isPositive();

            Finished second = finish(command(shop.url()).start());
            double minutes = (System.nanoTime() - started) / 60e9;
            assertThat(second.exit()).as("stdout %s stderr %s", second.out(), second.err()).isZero();
            assertThat(second.err()).contains("resumed");
            assertThat(second.out()).containsPattern("written \\d+ fields; skipped \\d+ filled fields; 0 failed; 200/200 products");

            int expectedFields = 0;
            for (int id = 1; id <= 200; id++) {
                Map<String, Object> now = shop.products.get(id);
                for (String field : FIELDS) {
                    for (int language : List.of(1, 2)) {
                        String old = StandInShop.lang(before.get(id), field).getOrDefault(language, "");
                        String text = StandInShop.lang(now, field).getOrDefault(language, "");
                        int writes = shop.writesOf(id, field, language);
                        if (!old.isEmpty()) {
                            assertThat(text).as("filled %s of %d in %d left alone", field, id, language).isEqualTo(old);
                            assertThat(writes).isZero();
                            continue;
                        }
                        expectedFields++;
                        assertThat(writes).as("writes of %s of %d in %d", field, id, language).isEqualTo(1);
                        assertThat(text).as("%s of %d in %d", field, id, language).isNotBlank();
                        ShopField shopField = ShopField.of(field);
                        assertThat(text.length()).isLessThanOrEqualTo(shopField.maxLength());
                        if (shopField.html()) {
                            // Allowed tags only, and no attribute but a link's.
                            assertThat(text).startsWith("<").doesNotContainPattern("(?i)<(?!/?(p|br|strong|b|em|i|u|ul"
                                    + "|ol|li|h2|h3|h4|blockquote|span|a)[\\s/>])").doesNotContainPattern("(?i)<(?!a\\s)\\w+\\s");
                        } else {
                            assertThat(text).doesNotContain("<", ">");
                        }
                    }
                }
            }
            assertThat(shop.mostWritingAtOnce.get()).as("writes at once").isBetween(1, 4);
            assertThat(shop.injectedFailures.get()).as("failures the retries went through").isPositive();
            assertThat(second.out() + second.err()).doesNotContain(KEY);
            System.out.printf("catalogue: %d fields on 200 products in 2 languages, %.1f products/min"
                    + " (kill and restart included)%n", expectedFields, 200 / minutes);

            try (Database database = Database.sqlite(dir.resolve("data").resolve(Database.SQLITE_FILE))) {
                List<String> resources = database.jdbi().withHandle(h -> h.createQuery(
                        "SELECT resource FROM audit_entries WHERE action = 'catalogue.text.generated'")
                        .mapTo(String.class).list());
                // A text generated by the killed run and never written is in the log too: at least one entry a field.
                assertThat(resources).hasSizeGreaterThanOrEqualTo(expectedFields);
                assertThat(resources).allSatisfy(r -> assertThat(r).startsWith("AI-generated text: job ")
                        .containsPattern("product \\d+ field \\w+ language (fr|en) model stories260K sha256 [0-9a-f]{64}"));
                String log = String.join("\n", resources);
                for (int id = 1; id <= 200; id++) {
                    for (String field : FIELDS) {
                        for (int language : List.of(1, 2)) {
                            String text = StandInShop.lang(shop.products.get(id), field).getOrDefault(language, "");
                            if (shop.writesOf(id, field, language) > 0) {
                                assertThat(log).as("the audit entry of %s of %d in %d", field, id, language)
                                        .contains("product " + id + " field " + field + " language "
                                                + (language == 1 ? "fr" : "en") + " model stories260K sha256 "
                                                + eu.souverain.server.provenance.Statement.sha256(text));
                            }
                        }
                    }
                }
                String everything = database.jdbi().withHandle(h -> String.join("\n", h.createQuery(
                        "SELECT resource FROM audit_entries").mapTo(String.class).list()));
                assertThat(everything).doesNotContain(KEY);
            }
        }
    }

    @Test
    void aDryRunWritesTheReviewFilesAndNothingToTheShop() throws Exception {
        createOrganization();
        try (StandInShop shop = new StandInShop(KEY, "1.7.8.11")) {
            shop.fillCatalogue(12);
            Path review = dir.resolve("review");
            Finished run = finish(command(shop.url(), "--dry-run", "--products", "1-4,6", "--review", review.toString())
                    .start());
            assertThat(run.exit()).as(run.err()).isZero();
            assertThat(shop.writeRequests.get()).isZero();
            List<String> lines = Files.readAllLines(dir.resolve("review.jsonl"), StandardCharsets.UTF_8);
            // Products 1, 2, 4 empty (4 fields x 2 languages each); 3 and 6 filled.
            assertThat(lines).hasSize(24);
            var json = new com.fasterxml.jackson.databind.ObjectMapper();
            for (String line : lines) {
                var row = json.readTree(line);
                assertThat(row.path("product").asInt()).isIn(1, 2, 4);
                assertThat(row.path("language").asText()).isIn("fr", "en");
                assertThat(row.path("before").asText()).isEmpty();
                assertThat(row.path("after").asText()).isNotBlank();
                assertThat(row.path("provenance").asText()).isNotBlank();
            }
            List<String> csv = Files.readAllLines(dir.resolve("review.csv"), StandardCharsets.UTF_8);
            assertThat(csv.getFirst()).isEqualTo("product,language,field,before,after,sha256,provenance");
            assertThat(run.out()).contains("review: 24 proposals");
        }
    }

    @Test
    void aRefusedKeyOrAMissingLanguageStopsWithOneLineThatNeverShowsTheKey() throws Exception {
        createOrganization();
        try (StandInShop shop = new StandInShop("OTHERKEY00000000000000000000000", "8.1.2")) {
            shop.fillCatalogue(3);
            Finished refused = finish(command(shop.url()).start());
            assertThat(refused.exit()).isEqualTo(1);
            assertThat(refused.err()).contains("error: GET ", "answered 401", "the shop refused the webservice key")
                    .doesNotContain(KEY);
            assertThat(shop.writeRequests.get()).isZero();
        }
        try (StandInShop shop = new StandInShop(KEY, "8.1.2")) {
            shop.fillCatalogue(3);
            ProcessBuilder german = command(shop.url());
            List<String> arguments = german.command();
            arguments.set(arguments.indexOf("fr,en"), "fr,de");
            Finished missing = finish(german.start());
            assertThat(missing.exit()).isEqualTo(1);
            assertThat(missing.err()).contains("error: the shop has no language 'de'; it has fr, en");
            ProcessBuilder literal = command(shop.url());
            arguments = literal.command();
            arguments.set(arguments.indexOf("env:SHOP_KEY"), KEY);
            Finished inTheOpen = finish(literal.start());
            assertThat(inTheOpen.exit()).isEqualTo(1);
            assertThat(inTheOpen.err()).contains("--key must be env:VARIABLE").doesNotContain(KEY);
            assertThat(shop.writeRequests.get()).isZero();

            Finished run = finish(command(shop.url(), "--products", "1-2").start());
            assertThat(run.exit()).as(run.err()).isZero();
            // Not a terminal: a progress line, then the summary with the rate.
            assertThat(run.err()).contains("souverain: 2 products, languages fr,en")
                    .containsPattern("\\[=+\\] 2/2 products, 16 fields, [0-9.]+/min, ETA --:--");
            assertThat(run.out()).containsPattern("written 16 fields; skipped 0 filled fields; 0 failed; 2/2 products"
                    + " in \\d+:\\d\\d \\([0-9.]+ products/min\\)");
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<Integer, Map<String, Object>> deepCopy(StandInShop shop) {
        Map<Integer, Map<String, Object>> copy = new java.util.HashMap<>();
        shop.products.forEach((id, p) -> {
            Map<String, Object> c = new java.util.HashMap<>();
            p.forEach((k, v) -> c.put(k, v instanceof Map<?, ?> m ? new java.util.TreeMap<>((Map<Integer, String>) m) : v));
            copy.put(id, c);
        });
        return copy;
    }
}

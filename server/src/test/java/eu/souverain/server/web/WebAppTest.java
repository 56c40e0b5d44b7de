package eu.souverain.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/** The page as the server hands it out: its files, the libraries, the security headers, the weight. */
class WebAppTest {

    /** The page's own files, as written (surefire runs in server/). */
    private static final Path SOURCES = WebServer.ROOT.resolve("web/src/main/resources/souverain/web");
    private static final long BUDGET_GZIPPED_BYTES = 300 * 1024;

    private final HttpClient client = HttpClient.newHttpClient();

    private HttpResponse<byte[]> get(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create(WebServer.shared().url() + path.substring(1))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void everyAnswerCarriesAStrictContentSecurityPolicy() throws Exception {
        for (String path : List.of("/", "/js/app.js", "/v1/models", "/no/such/page")) {
            HttpResponse<byte[]> response = get(path);
            String policy = response.headers().firstValue("Content-Security-Policy").orElseThrow();
            assertThat(policy).as(path).contains("default-src 'self'", "script-src 'self'", "style-src 'self'",
                    "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'").doesNotContain("unsafe");
            assertThat(response.headers().firstValue("X-Content-Type-Options")).as(path).contains("nosniff");
            assertThat(response.headers().firstValue("Referrer-Policy")).as(path).contains("no-referrer");
        }
    }

    @Test
    void thePageAndTheLibrariesItLoadsAreServedWithTheirTypes() throws Exception {
        HttpResponse<byte[]> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/html");
        String html = new String(page.body(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(html).contains("<script type=\"module\" src=\"js/app.js\"></script>").doesNotContain("style=");
        for (String library : List.of("/webjars/marked/16.3.0/lib/marked.esm.js",
                "/webjars/dompurify/3.3.0/dist/purify.es.mjs", "/webjars/highlightjs/11.10.0/highlight.min.js",
                "/webjars/uplot/1.6.30/dist/uPlot.esm.js")) {
            HttpResponse<byte[]> response = get(library);
            assertThat(response.statusCode()).as(library).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type").orElseThrow()).as(library)
                    .startsWith("text/javascript");
        }
        assertThat(get("/webjars/highlightjs/11.10.0/styles/a11y-dark.min.css").statusCode()).isEqualTo(200);
        assertThat(get("/webjars/uplot/1.6.30/dist/uPlot.min.css").statusCode()).isEqualTo(200);
    }

    @Test
    void thePagesOwnJavaScriptAndCssWeighLessThan300KilobytesGzipped() throws Exception {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(SOURCES)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        assertThat(files).extracting(f -> SOURCES.relativize(f).toString().replace('\\', '/'))
                .contains("index.html", "css/app.css", "js/app.js", "js/api.js", "js/i18n.js", "js/chat.js");
        long gzipped = 0;
        for (Path file : files) {
            HttpResponse<byte[]> served = get("/" + SOURCES.relativize(file).toString().replace('\\', '/'));
            assertThat(served.statusCode()).as(file.toString()).isEqualTo(200);
            assertThat(served.body()).as("served as written: " + file).isEqualTo(Files.readAllBytes(file));
            gzipped += gzip(served.body());
        }
        System.out.printf("web app: %d files, %d bytes gzipped%n", files.size(), gzipped);
        assertThat(gzipped).isLessThan(BUDGET_GZIPPED_BYTES);
    }

    /**
     * The DOM's own append, prepend and replaceChildren write null and undefined as words; the
     * views go through dom.js's append() and replace(), which leave them out, so that no screen
     * depends on every caller remembering it (the browser tests check the screens themselves).
     */
    @Test
    void onlyTheDomHelperCallsTheDomsOwnAppend() throws IOException {
        List<Path> scripts;
        try (Stream<Path> walk = Files.walk(SOURCES.resolve("js"))) {
            scripts = walk.filter(f -> f.toString().endsWith(".js")).toList();
        }
        Pattern nativeCall = Pattern.compile("\\.(append|prepend|replaceChildren)\\(");
        for (Path script : scripts) {
            if (script.getFileName().toString().equals("dom.js")) {
                continue;
            }
            List<String> calls = Files.readAllLines(script).stream().filter(line -> nativeCall.matcher(line).find()).toList();
            assertThat(calls).as(SOURCES.relativize(script) + " calls the DOM's own append; use dom.js's append() or replace()")
                    .isEmpty();
        }
    }

    private static int gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.size();
    }
}

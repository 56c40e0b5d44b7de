package eu.souverain.server.api;

import io.javalin.config.JavalinConfig;
import io.javalin.http.staticfiles.Location;
import java.util.Map;

/**
 * The chat web app: its pages at / from the class path's {@value #DIRECTORY} (the souverain-web
 * jar) and the libraries they load under /webjars/. Every answer carries a strict
 * Content-Security-Policy: scripts and styles from this origin only, never inline, so that a model
 * answer or a title that slipped past the page's sanitizing still could not run.
 */
final class WebApp {

    static final String DIRECTORY = "/souverain/web";

    static final Map<String, String> SECURITY_HEADERS = Map.of(
            "Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
                    + " connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self';"
                    + " frame-ancestors 'none'",
            "X-Content-Type-Options", "nosniff",
            "Referrer-Policy", "no-referrer");

    private WebApp() {}

    static void serve(JavalinConfig config) {
        config.staticFiles.add(files -> {
            files.hostedPath = "/";
            files.directory = DIRECTORY;
            files.location = Location.CLASSPATH;
            // The page is small and changes with each release: the browser asks again each time.
            files.headers = Map.of("Cache-Control", "no-cache");
            files.mimeTypes.add("text/javascript", "mjs");
        });
        config.staticFiles.enableWebjars();
        config.routes.before(ctx -> SECURITY_HEADERS.forEach(ctx::header));
    }
}

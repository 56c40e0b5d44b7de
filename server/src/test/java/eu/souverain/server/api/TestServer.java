package eu.souverain.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.model.SyntheticModel;
import eu.souverain.engine.tensor.GGMLType;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.backends.Backend;
import eu.souverain.server.backends.BackendLocation;
import eu.souverain.server.backends.LocalBackend;
import eu.souverain.server.backends.SentenceEmbeddingModel;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.FirstStart;
import eu.souverain.server.tenancy.Tenancy;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real API server on a free loopback port, and the HTTP calls tests make to it, each with the
 * key {@link #apiKey}: by default the first key of a store shared by the test JVM (every scope, the
 * installation's organization).
 */
final class TestServer implements AutoCloseable {

    /** The project root, where the bundled model lives (surefire runs in server/). */
    static final Path BUNDLED_MODEL = Path.of("").toAbsolutePath().getParent().resolve("models/stories260K.gguf");
    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Writes a model of a few milliseconds a token with the bundled model's tokenizer: slow enough
     * that a stream of a hundred tokens is still running while a test acts on it.
     */
    static Path writeSlowModel(Path file) throws IOException {
        try (GGUFFile stories = GGUFFile.open(BUNDLED_MODEL)) {
            SyntheticModel.write(file, new SyntheticModel.Shape(256, 8, 8, 8, 32, 1024, 256, 10000f, 0, false, false),
                    GGMLType.F32, SyntheticModel.Init.standard(3), stories.metadata());
        }
        return file;
    }
    /** Bodies past this many characters wait for "100 Continue" (see {@link #post(String, String)}). */
    private static final int BIG_BODY = 16 << 10;

    final ApiServer server;
    /** The local engine a server of the test's models runs them on; null for a server the test started itself. */
    final LocalBackend backend;
    /** The API key every request helper sends as {@code Authorization: Bearer}, unless signed in with a session. */
    final String apiKey;
    /** A web session's cookie ({@code name=value}) and CSRF token that the request helpers send instead, or null. */
    private final String sessionCookie;
    private final String csrfToken;
    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    TestServer(Map<String, Path> models, int queue, long maxBody, Duration grace) throws IOException {
        this(models, queue, 4, maxBody, grace);
    }

    /** A server whose models each generate up to {@code maxSequences} sequences at once. */
    TestServer(Map<String, Path> models, int queue, int maxSequences, long maxBody, Duration grace) throws IOException {
        server = start(new ApiServer.Settings("127.0.0.1", 0, maxBody, grace));
        apiKey = SharedStore.KEY;
        sessionCookie = null;
        csrfToken = null;
        backend = LocalBackend.load(models, new LocalBackend.Settings(0, 1, queue, maxSequences, 0, null));
        server.serve(SharedStore.services(server, backend));
    }

    /** A server of {@code backend}'s models, which it closes with itself. */
    private TestServer(LocalBackend backend) {
        server = start(new ApiServer.Settings("127.0.0.1", 0, 64 << 10, Duration.ofSeconds(5)));
        apiKey = SharedStore.KEY;
        sessionCookie = null;
        csrfToken = null;
        this.backend = backend;
        server.serve(SharedStore.services(server, backend));
    }

    /**
     * The bundled chat model and, as {@code serve} runs by default, the bundled sentence-embedding
     * model, which embeds the requests that name no model.
     */
    static TestServer withSentenceEmbeddings() throws IOException {
        return new TestServer(LocalBackend.load(Map.of("stories260K", BUNDLED_MODEL),
                new LocalBackend.Settings(0, 1, 16, 4, 0, null), BackendLocation.thisHost(null, null, null, List.of()),
                SentenceEmbeddingModel.loadBundled(1, 16, null)));
    }

    /** Requests to a server the test started itself with {@link #start}; it stays the test's to close. */
    TestServer(ApiServer server) {
        this(server, SharedStore.KEY);
    }

    /** Requests with {@code apiKey} to a server the test started itself; it stays the test's to close. */
    TestServer(ApiServer server, String apiKey) {
        this(server, apiKey, null, null);
    }

    private TestServer(ApiServer server, String apiKey, String sessionCookie, String csrfToken) {
        this.server = server;
        this.backend = null;
        this.apiKey = apiKey;
        this.sessionCookie = sessionCookie;
        this.csrfToken = csrfToken;
    }

    /** Requests as a web session: its cookie on each, and its CSRF token. */
    static TestServer signedIn(ApiServer server, String sessionCookie, String csrfToken) {
        return new TestServer(server, null, sessionCookie, csrfToken);
    }

    /** A server on a free loopback port that authenticates against the shared test store. */
    static ApiServer start(ApiServer.Settings settings) {
        return ApiServer.start(settings, SharedStore.TENANCY);
    }

    /** The services of the shared test store, serving {@code backend}. */
    static ApiServer.Services services(ApiServer server, Backend backend) {
        return SharedStore.services(server, backend);
    }

    /** One SQLite store for the test JVM, in a temporary directory, with its first start made. */
    private static final class SharedStore {
        static final Tenancy TENANCY;
        static final String KEY;
        static final Database DATABASE;
        static final Path DIR;

        static ApiServer.Services services(ApiServer server, Backend backend) {
            return TestServices.of(server, TENANCY, DATABASE, DIR, Clock.systemUTC(), backend);
        }

        static {
            try {
                Path dir = Files.createTempDirectory("souverain-test-store");
                dir.toFile().deleteOnExit();
                Database database = Database.sqlite(dir.resolve(Database.SQLITE_FILE));
                DATABASE = database;
                DIR = dir;
                TENANCY = new Tenancy(database, new AuditLog(database, Clock.systemUTC()), Clock.systemUTC());
                KEY = FirstStart.run(TENANCY, "test", "owner@test.invalid", null).orElseThrow().apiKey();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    static TestServer bundled() throws IOException {
        return new TestServer(Map.of("stories260K", BUNDLED_MODEL), 16, 64 << 10, Duration.ofSeconds(5));
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    record Reply(int status, JsonNode body, HttpResponse<String> raw) {
        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    Reply get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET().build());
    }

    Reply post(String json) {
        return post("/v1/chat/completions", json);
    }

    /**
     * POSTs {@code json}. A big body waits for the server's "100 Continue", as curl and other
     * clients send big bodies: one the server refuses from its declared length is then never left
     * half-sent on a connection the server has closed (a broken pipe instead of the 413).
     */
    Reply post(String path, String json) {
        return send(HttpRequest.newBuilder(uri(path))
                .header("Content-Type", "application/json").expectContinue(json.length() > BIG_BODY)
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }


    /** Sends {@code request} with the test's key, unless it carries its own Authorization or session cookie. */
    Reply send(HttpRequest request) {
        return sendAsIs(authorized(request));
    }

    /** Sends {@code request} exactly as built: no key added. */
    Reply sendAsIs(HttpRequest request) {
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            JsonNode body = response.body().isEmpty() ? null : JSON.readTree(response.body());
            return new Reply(response.statusCode(), body, response);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** A streamed answer read to its end: the data of each event, in order. */
    List<String> stream(String json) {
        return stream("/v1/chat/completions", json);
    }

    List<String> stream(String path, String json) {
        try (EventReader events = openStream(path, json)) {
            List<String> data = new ArrayList<>();
            for (String event; (event = events.next()) != null; ) {
                data.add(event);
            }
            return data;
        }
    }

    EventReader openStream(String json) {
        return openStream("/v1/chat/completions", json);
    }

    EventReader openStream(String path, String json) {
        HttpRequest request = authorized(HttpRequest.newBuilder(uri(path))
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
        try {
            HttpResponse<java.io.InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            return new EventReader(response);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private HttpRequest authorized(HttpRequest request) {
        if (request.headers().firstValue("Authorization").isPresent() || request.headers().firstValue("Cookie").isPresent()) {
            return request;
        }
        HttpRequest.Builder builder = HttpRequest.newBuilder(request, (name, value) -> true);
        if (sessionCookie != null) {
            return builder.header("Cookie", sessionCookie).header("X-CSRF-Token", csrfToken).build();
        }
        return builder.header("Authorization", "Bearer " + apiKey).build();
    }

    /** Reads server-sent events one at a time, as they arrive. */
    static final class EventReader implements AutoCloseable {
        final HttpResponse<java.io.InputStream> response;
        private final BufferedReader reader;

        EventReader(HttpResponse<java.io.InputStream> response) {
            this.response = response;
            this.reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
        }

        /** The next event's data, or null at the end of the stream. */
        String next() {
            try {
                String data = null;
                for (String line; (line = reader.readLine()) != null; ) {
                    if (line.startsWith("data: ")) {
                        data = line.substring("data: ".length());
                    } else if (line.isEmpty() && data != null) {
                        return data;
                    }
                }
                return data;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
            try {
                reader.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        server.close();
    }
}

package eu.souverain.server.api;

import eu.souverain.server.gateway.Backend;
import eu.souverain.server.gateway.BackendException;
import eu.souverain.server.gateway.Backends;
import eu.souverain.server.gateway.Residency;
import eu.souverain.server.gateway.ResidencyException;
import eu.souverain.server.gateway.ResidencyPolicy;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HttpResponseException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API: Mistral- and OpenAI-compatible routes over {@link Backends}, on Javalin with one
 * virtual thread per request. It listens as soon as it starts, so that /health answers while the
 * models load; /ready and the /v1 routes answer 503 until {@link #serve} hands it the backends.
 */
public final class ApiServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);

    /**
     * @param maxBodyBytes larger request bodies are refused with 413
     * @param shutdownGrace how long running generations may go on once shutdown begins
     */
    public record Settings(String host, int port, long maxBodyBytes, Duration shutdownGrace) {
        public static final long DEFAULT_MAX_BODY_BYTES = 4L << 20;
        public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(10);

        public Settings {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be in [0, 65535] (0: any free port), was " + port);
            }
            if (maxBodyBytes < 1) {
                throw new IllegalArgumentException("the body size limit must be positive, was " + maxBodyBytes);
            }
        }
    }

    private final Settings settings;
    private final Javalin app;
    /** Generations being answered; shutdown waits for them to write their last event. */
    private final AtomicInteger answering = new AtomicInteger();
    private final ApiMetrics metrics = new ApiMetrics();
    private volatile Backends backends;
    /** The organizations' residency policies; null when the server runs without a store. */
    private volatile Residency residency;
    private volatile boolean closed;

    private ApiServer(Settings settings) {
        this.settings = settings;
        ModelsRoute models = new ModelsRoute(this);
        Generations generations = new Generations(this);
        ChatCompletionsRoute chat = new ChatCompletionsRoute(this, generations);
        CompletionsRoute completions = new CompletionsRoute(this, generations);
        FimCompletionsRoute fim = new FimCompletionsRoute(this, generations);
        EmbeddingsRoute embeddings = new EmbeddingsRoute(this);
        PolicyRoute policy = new PolicyRoute(this);
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.concurrency.useVirtualThreads = true;
            config.http.maxRequestSize = settings.maxBodyBytes();
            // Compression would buffer the event stream; answers are small anyway.
            config.http.compressionStrategy = CompressionStrategy.NONE;
            config.jetty.host = settings.host();
            config.jetty.port = settings.port();

            config.routes.before(ctx -> ctx.header(RequestIds.HEADER, RequestIds.of(ctx.header(RequestIds.HEADER))));
            // After the exception handlers, so that a refusal is counted with its own status.
            config.routes.after(ctx -> {
                String route = ctx.attribute(ROUTE);
                metrics.request(route != null ? route : "unmatched", ctx.statusCode());
            });
            config.routes.get("/health", named("/health", ctx -> Json.respond(ctx, 200, Map.of("status", "ok"))));
            config.routes.get("/ready", named("/ready", this::ready));
            config.routes.get("/metrics", named("/metrics", ctx -> ctx.status(200)
                    .contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape())));
            config.routes.get("/v1/models", named("/v1/models", models::list));
            config.routes.get("/v1/models/<id>", named("/v1/models/{id}", models::get));
            config.routes.post("/v1/chat/completions", named("/v1/chat/completions", answering(chat::handle)));
            config.routes.post("/v1/completions", named("/v1/completions", answering(completions::handle)));
            config.routes.post("/v1/fim/completions", named("/v1/fim/completions", answering(fim::handle)));
            config.routes.post("/v1/embeddings", named("/v1/embeddings", answering(embeddings::handle)));
            config.routes.get("/v1/admin/policy", named("/v1/admin/policy", policy::get));
            config.routes.put("/v1/admin/policy", named("/v1/admin/policy", policy::put));

            config.routes.exception(ApiError.class, ApiServer::respond);
            config.routes.exception(HttpResponseException.class, (e, ctx) -> respond(
                    new ApiError(e.getStatus(), e.getStatus() >= 500 ? "server_error" : "invalid_request_error",
                            codeOf(e.getStatus()), null, messageOf(e, ctx), Map.of()), ctx));
            config.routes.exception(Exception.class, (e, ctx) -> {
                LOG.error("{} {} failed (request {})", ctx.method(), ctx.path(), ctx.res().getHeader(RequestIds.HEADER), e);
                respond(new ApiError(500, "server_error", "internal_error", null,
                        "internal error: " + e, Map.of()), ctx);
            });
        });
        app.start();
    }

    /** Starts listening; the routes that need models answer 503 until {@link #serve}. */
    public static ApiServer start(Settings settings) {
        return new ApiServer(settings);
    }

    /**
     * From now on, requests run on {@code backend} alone, under the default residency policy for
     * lack of a store; the server owns it and closes it in {@link #close}.
     */
    public void serve(Backend backend) {
        serve(Backends.of(backend, List.of()), null);
    }

    /**
     * From now on, requests run on {@code backends}, each call first checked against its
     * organization's policy in {@code residency}; the server owns the backends and closes them in
     * {@link #close}.
     */
    public void serve(Backends backends, Residency residency) {
        metrics.watch(backends);
        this.residency = residency;
        this.backends = backends;
    }

    ApiMetrics metrics() {
        return metrics;
    }

    /** The context attribute that names the route a request matched, for the metrics. */
    private static final String ROUTE = "souverain.route";

    private static Handler named(String route, Handler handler) {
        return ctx -> {
            ctx.attribute(ROUTE, route);
            handler.handle(ctx);
        };
    }

    /** A generating route: shutdown waits for its last event. */
    private Handler answering(Handler handler) {
        return ctx -> {
            answering.incrementAndGet();
            try {
                handler.handle(ctx);
            } finally {
                answering.decrementAndGet();
            }
        };
    }

    /** The port it listens on: the one it was given, or the one the system chose for port 0. */
    public int port() {
        return app.port();
    }

    /** The body, refused before it is read whole when it is over the limit, whether or not its length is declared. */
    byte[] requestBody(Context ctx) throws IOException {
        long limit = settings.maxBodyBytes();
        long declared = ctx.req().getContentLengthLong();
        if (declared > limit) {
            throw tooLarge(declared + " bytes", limit);
        }
        try (InputStream in = ctx.req().getInputStream()) {
            byte[] body = in.readNBytes((int) Math.min(limit + 1, Integer.MAX_VALUE - 8));
            if (body.length > limit) {
                throw tooLarge("more than " + limit + " bytes", limit);
            }
            return body;
        }
    }

    private static ApiError tooLarge(String size, long limit) {
        return new ApiError(413, "invalid_request_error", "request_too_large", null,
                "the request body has " + size + "; the limit is " + limit + " bytes", Map.of());
    }

    long maxBodyBytes() {
        return settings.maxBodyBytes();
    }

    Backends backends() {
        Backends serving = backends;
        if (serving == null || closed) {
            throw new ApiError(503, "server_error", closed ? "shutting_down" : "not_ready", null,
                    closed ? "the server is shutting down" : "the models are still loading; try again shortly",
                    Map.of("Retry-After", "1"));
        }
        return serving;
    }

    /** The model a request that names none runs on: the first one served. */
    String defaultModel() {
        return backends().models().getFirst().id();
    }

    /**
     * The backend a model call of {@code ctx} for {@code model} goes to, once its organization's
     * residency policy allows it: the one place every route picks its backend. A refusal is 403,
     * naming the rule, and audited.
     */
    Backend route(Context ctx, String model) {
        Backend backend;
        try {
            backend = backends().serving(model);
        } catch (BackendException e) {
            throw toApiError(e);
        }
        Residency policies = residency;
        if (policies == null) {
            String refusal = ResidencyPolicy.DEFAULT
                    .refusal("the default policy (this server keeps no policies without a store)", backend).orElse(null);
            if (refusal != null) {
                throw forbidden(refusal);
            }
            return backend;
        }
        try {
            policies.check(organizationOf(ctx), backend, model, actorOf(ctx), ctx.ip());
        } catch (ResidencyException e) {
            throw forbidden(e.getMessage());
        }
        return backend;
    }

    private static ApiError forbidden(String rule) {
        return new ApiError(403, "permission_error", "residency_policy", "model", rule, Map.of());
    }

    /** The residency policies, for the admin routes; 503 when the server runs without a store. */
    Residency residency() {
        backends();  // 503 while the backends load, as on every /v1 route
        Residency policies = residency;
        if (policies == null) {
            throw new ApiError(503, "server_error", "no_store", null,
                    "this server runs without a store, so it keeps no residency policies", Map.of());
        }
        return policies;
    }

    /** The header that names the organization a request acts for, until authentication gives each request a principal. */
    static final String ORGANIZATION_HEADER = "X-Souverain-Organization";

    /**
     * The organization a request acts for, or null for none. Read from {@link #ORGANIZATION_HEADER}
     * only while no authentication sets a principal: authentication replaces this with the
     * principal's organization.
     */
    static String organizationOf(Context ctx) {
        String organization = ctx.header(ORGANIZATION_HEADER);
        return organization == null || organization.isBlank() ? null : organization.strip();
    }

    /** Who acts, for the audit log: the principal's id once authentication sets one. */
    static String actorOf(Context ctx) {
        return "anonymous";
    }

    private void ready(Context ctx) {
        List<String> models = backends().models().stream().map(m -> m.id()).toList();
        Json.respond(ctx, 200, Map.of("status", "ready", "models", models));
    }

    /**
     * Stops taking generations, gives the running ones the grace period to finish (then cuts
     * them off with an error event), stops the HTTP server and releases the models.
     */
    @Override
    public void close() {
        Backends serving = backends;
        closed = true;
        if (serving != null) {
            serving.shutdown(settings.shutdownGrace());
        }
        // Cut-off streams still write their last event; give them a moment before the sockets close.
        long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (answering.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        app.stop();
        if (serving != null) {
            serving.close();
        }
    }

    static ApiError toApiError(BackendException e) {
        return switch (e.reason()) {
            case MODEL_NOT_FOUND -> new ApiError(404, "invalid_request_error", "model_not_found", "model",
                    e.getMessage(), Map.of());
            case INVALID_REQUEST -> new ApiError(400, "invalid_request_error", "invalid_value",
                    e.param() != null ? e.param() : "messages",
                    e.getMessage(), Map.of());
            case BUSY -> new ApiError(429, "rate_limit_error", "queue_full", null, e.getMessage(),
                    e.queueCapacity() == 0 ? Map.of("Retry-After", "1") : Map.of(
                            "Retry-After", "1",
                            "x-ratelimit-limit-requests", Integer.toString(e.queueCapacity()),
                            "x-ratelimit-remaining-requests", "0",
                            "x-ratelimit-reset-requests", "1s"));
            case UNAVAILABLE -> new ApiError(503, "server_error", "unavailable", null, e.getMessage(),
                    Map.of("Retry-After", "1"));
            case BAD_GATEWAY -> new ApiError(502, "server_error", "bad_gateway", null, e.getMessage(), Map.of());
            case GATEWAY_TIMEOUT -> new ApiError(504, "server_error", "gateway_timeout", null, e.getMessage(), Map.of());
        };
    }

    private static void respond(ApiError error, Context ctx) {
        error.headers().forEach(ctx::header);
        Json.respond(ctx, error.status(), error.body());
    }

    private static String codeOf(int status) {
        return switch (status) {
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 413 -> "request_too_large";
            default -> "http_" + status;
        };
    }

    private static String messageOf(HttpResponseException e, Context ctx) {
        return switch (e.getStatus()) {
            case 404 -> "no route for " + ctx.method() + " " + ctx.path();
            case 405 -> ctx.method() + " is not allowed on " + ctx.path();
            default -> e.getMessage();
        };
    }
}

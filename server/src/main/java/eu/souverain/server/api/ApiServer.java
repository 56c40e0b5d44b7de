package eu.souverain.server.api;

import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.gateway.Backend;
import eu.souverain.server.gateway.BackendException;
import eu.souverain.server.gateway.ChatRequest;
import eu.souverain.server.gateway.Generation;
import eu.souverain.server.gateway.Backends;
import eu.souverain.server.gateway.Residency;
import eu.souverain.server.gateway.ResidencyException;
import eu.souverain.server.gateway.ResidencyPolicy;
import eu.souverain.server.privacy.Privacy;
import eu.souverain.server.privacy.RedactionSettings;
import eu.souverain.server.privacy.Redactions;
import eu.souverain.server.privacy.RemoteRedaction;
import eu.souverain.server.sovereignty.SovereigntyReport;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.Scope;
import eu.souverain.server.tenancy.Tenancy;
import eu.souverain.server.tenancy.TenancyException;
import eu.souverain.server.tenancy.WebSessions;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HttpResponseException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP API: Mistral- and OpenAI-compatible routes over {@link Backends}, on Javalin with one
 * virtual thread per request. It listens as soon as it starts, so that /health answers while the
 * models load; /ready and the /v1 routes answer 503 until {@link #serve} hands it the backends.
 *
 * <p>Every /v1 request authenticates, in one place ({@link #authenticate}): with {@code
 * Authorization: Bearer <API key>}, or with the web app's session cookie and, on a state-changing
 * request, its CSRF token in {@value #CSRF_HEADER}. The {@link Principal} it acts as, one
 * organization and one actor, is then on the request for every route: {@link #principal}.
 */
public final class ApiServer implements AutoCloseable {

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

    /** The web app's session cookie. */
    static final String SESSION_COOKIE = "souverain_session";
    static final String CSRF_HEADER = "X-CSRF-Token";
    private static final String PRINCIPAL = "souverain.principal";

    private final Settings settings;
    private final Tenancy tenancy;
    private final Javalin app;
    /** Generations being answered; shutdown waits for them to write their last event. */
    private final AtomicInteger answering = new AtomicInteger();
    private final ApiMetrics metrics = new ApiMetrics();
    private volatile Backends backends;
    /** The organizations' residency policies; null when the server runs without a store. */
    private volatile Residency residency;
    /** Stored conversations, retention, erasure and export; null when the server runs without a store. */
    private volatile Privacy privacy;
    /** The organizations' redaction settings; null when the server runs without a store. */
    private volatile Redactions redactions;
    /** What the sovereignty report reads; null until {@link #reportWith} is called. */
    private volatile SovereigntyReport report;
    private volatile boolean closed;

    private ApiServer(Settings settings, Tenancy tenancy) {
        this.settings = settings;
        this.tenancy = tenancy;
        ModelsRoute models = new ModelsRoute(this);
        Generations generations = new Generations(this);
        ConversationsRoutes conversations = new ConversationsRoutes(this, tenancy, generations);
        ChatCompletionsRoute chat = new ChatCompletionsRoute(this, generations, conversations);
        CompletionsRoute completions = new CompletionsRoute(this, generations);
        FimCompletionsRoute fim = new FimCompletionsRoute(this, generations);
        EmbeddingsRoute embeddings = new EmbeddingsRoute(this);
        PolicyRoute policy = new PolicyRoute(this);
        RedactionRoute redaction = new RedactionRoute(this);
        SovereigntyRoute sovereignty = new SovereigntyRoute(this, tenancy);
        AuthRoutes auth = new AuthRoutes(this, tenancy);
        AdminRoutes admin = new AdminRoutes(this, tenancy);
        AuditRoutes audit = new AuditRoutes(this, tenancy);
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.concurrency.useVirtualThreads = true;
            config.http.maxRequestSize = settings.maxBodyBytes();
            // Compression would buffer the event stream; answers are small anyway.
            config.http.compressionStrategy = CompressionStrategy.NONE;
            config.jetty.host = settings.host();
            config.jetty.port = settings.port();

            WebApp.serve(config);
            config.routes.before(ctx -> ctx.header(RequestIds.HEADER, RequestIds.of(ctx.header(RequestIds.HEADER))));
            config.routes.before("/v1/*", this::authenticate);
            // After the exception handlers, so that a refusal is counted with its own status.
            config.routes.after(ctx -> {
                auditRefusal(ctx);
                String route = ctx.attribute(ROUTE);
                metrics.request(route != null ? route : "unmatched", ctx.statusCode());
            });
            config.routes.get("/health", named("/health", ctx -> Json.respond(ctx, 200, Map.of("status", "ok"))));
            config.routes.get("/ready", named("/ready", this::ready));
            config.routes.get("/metrics", named("/metrics", this::metrics));
            // Else HEAD would answer 200 unauthenticated: what GET refuses, HEAD refuses too.
            config.routes.head("/metrics", named("/metrics", this::metrics));
            config.routes.get("/v1/models", named("/v1/models", models::list));
            config.routes.get("/v1/models/<id>", named("/v1/models/{id}", models::get));
            config.routes.post("/v1/chat/completions",
                    named("/v1/chat/completions", requires(Scope.CHAT, answering(chat::handle))));
            config.routes.post("/v1/completions",
                    named("/v1/completions", requires(Scope.CHAT, answering(completions::handle))));
            config.routes.post("/v1/fim/completions",
                    named("/v1/fim/completions", requires(Scope.CHAT, answering(fim::handle))));
            config.routes.post("/v1/embeddings",
                    named("/v1/embeddings", requires(Scope.EMBEDDINGS, answering(embeddings::handle))));
            config.routes.get("/v1/admin/policy",
                    named("/v1/admin/policy", requiresAny(Set.of(Scope.ADMIN, Scope.AUDIT), policy::get)));
            config.routes.put("/v1/admin/policy", named("/v1/admin/policy", requires(Scope.ADMIN, policy::put)));
            config.routes.get("/v1/admin/redaction",
                    named("/v1/admin/redaction", requiresAny(Set.of(Scope.ADMIN, Scope.AUDIT), redaction::get)));
            config.routes.put("/v1/admin/redaction", named("/v1/admin/redaction", requires(Scope.ADMIN, redaction::put)));
            config.routes.get("/v1/sovereignty/report", named("/v1/sovereignty/report",
                    requiresAny(Set.of(Scope.ADMIN, Scope.AUDIT), sovereignty::get)));
            auth.register(config.routes);
            admin.register(config.routes);
            audit.register(config.routes);
            conversations.register(config.routes);

            config.routes.exception(ApiError.class, ApiServer::respond);
            config.routes.exception(TenancyException.class, (e, ctx) -> respond(toApiError(e), ctx));
            config.routes.exception(HttpResponseException.class, (e, ctx) -> respond(
                    new ApiError(e.getStatus(), e.getStatus() >= 500 ? "server_error" : "invalid_request_error",
                            JsonErrorHandler.codeOf(e.getStatus()), null, messageOf(e, ctx), Map.of()), ctx));
            config.routes.exception(java.io.EOFException.class, CutBodies::handle);
            config.routes.exception(Exception.class, (e, ctx) -> respond(InternalErrors.of(ctx, e), ctx));
            config.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
            config.jetty.modifyServletContextHandler(context -> context.setErrorHandler(new JsonErrorHandler.ForServlets()));
        });
        app.start();
    }

    /**
     * Starts listening, authenticating requests against {@code tenancy}; the routes that need
     * models answer 503 until {@link #serve}.
     */
    public static ApiServer start(Settings settings, Tenancy tenancy) {
        return new ApiServer(settings, tenancy);
    }

    /**
     * Whom a /v1 request acts as: the organization, the user or API key, its role and scopes. Set
     * by the one authentication step before any /v1 route runs.
     */
    public static Principal principal(Context ctx) {
        Principal principal = ctx.attribute(PRINCIPAL);
        if (principal == null) {
            throw new IllegalStateException(ctx.path() + " is not under /v1: it has no principal");
        }
        return principal;
    }

    /**
     * Before every /v1 route: a Bearer API key, or else the session cookie, whose state-changing
     * requests must echo the session's CSRF token (a cross-site page can make the browser send the
     * cookie, never read the token). Nothing is cached: a revoked key fails on its next request.
     */
    private void authenticate(Context ctx) {
        String authorization = ctx.header("Authorization");
        Principal principal;
        if (authorization != null) {
            if (!authorization.regionMatches(true, 0, "Bearer ", 0, "Bearer ".length())) {
                throw unauthenticated("the Authorization header must be 'Bearer <API key>'");
            }
            principal = tenancy.keys().authenticate(authorization.substring("Bearer ".length()).strip(), ctx.ip());
        } else {
            String token = ctx.cookie(SESSION_COOKIE);
            if (token == null) {
                throw unauthenticated("no API key: send the header 'Authorization: Bearer <API key>'");
            }
            WebSessions.Session session = tenancy.sessions().authenticate(token);
            if (!SAFE_METHODS.contains(ctx.method().name())) {
                requireCsrfToken(ctx, session);
            }
            principal = session.principal();
        }
        ctx.attribute(PRINCIPAL, principal);
    }

    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");

    /**
     * Refuses (403) a session request whose CSRF header is missing or is not the session's token.
     * The session is known by then: the refusal is its person's, audited as their other 403s are.
     */
    static void requireCsrfToken(Context ctx, WebSessions.Session session) {
        String sent = ctx.header(CSRF_HEADER);
        if (sent == null || !MessageDigest.isEqual(sent.getBytes(StandardCharsets.UTF_8),
                session.csrfToken().getBytes(StandardCharsets.UTF_8))) {
            ctx.attribute(PRINCIPAL, session.principal());
            throw new ApiError(403, "invalid_request_error", "csrf_token_invalid", CSRF_HEADER,
                    "a state-changing request of a web session must carry the session's CSRF token in " + CSRF_HEADER,
                    Map.of());
        }
    }

    static ApiError unauthenticated(String message) {
        return new ApiError(401, "invalid_request_error", "invalid_api_key", null, message,
                Map.of("WWW-Authenticate", "Bearer"));
    }

    /** A route that only a principal with one of {@code scopes} may use: 403 for any other. */
    static Handler requires(Scope scope, Handler handler) {
        return requiresAny(Set.of(scope), handler);
    }

    static Handler requiresAny(Set<Scope> scopes, Handler handler) {
        return ctx -> {
            Principal principal = principal(ctx);
            if (scopes.stream().noneMatch(principal::has)) {
                throw insufficientScope(principal, scopes);
            }
            handler.handle(ctx);
        };
    }

    private static ApiError insufficientScope(Principal principal, Set<Scope> scopes) {
        String needed = scopes.stream().sorted().map(Scope::wireName).reduce((a, b) -> a + "' or '" + b).orElseThrow();
        return new ApiError(403, "invalid_request_error", "insufficient_scope", null,
                (principal.isUser() ? "the role '" + principal.role().wireName() + "'" : "API key " + principal.actorId())
                        + " lacks the scope '" + needed + "' that " + "this route needs", Map.of());
    }

    /**
     * GET /metrics: counts and latencies of every organization together, so only the
     * installation's own organization may read them, with the audit scope, from any address (a
     * reverse proxy on the same host would make a loopback-only rule open to all).
     */
    private void metrics(Context ctx) {
        authenticate(ctx);
        Principal principal = principal(ctx);
        if (!principal.has(Scope.AUDIT)
                || !tenancy.installationOrganization().filter(principal.organizationId()::equals).isPresent()) {
            throw new ApiError(403, "invalid_request_error", "insufficient_scope", null,
                    "/metrics needs a key with the scope 'audit' of the installation's own organization", Map.of());
        }
        ctx.status(200).contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape());
    }

    /**
     * A tenancy refusal as an HTTP error. (A 403 is audited after the request; a refusal across
     * organizations is audited where it happens, since it answers 404.)
     */
    private static ApiError toApiError(TenancyException e) {
        return switch (e.reason()) {
            case INVALID -> ApiError.invalid(e.param(), e.getMessage());
            case NOT_FOUND -> new ApiError(404, "invalid_request_error", "not_found", null, e.getMessage(), Map.of());
            case CONFLICT -> new ApiError(409, "invalid_request_error", "conflict", e.param(), e.getMessage(), Map.of());
            case FORBIDDEN -> new ApiError(403, "invalid_request_error", "forbidden", e.param(), e.getMessage(), Map.of());
            case UNAUTHENTICATED -> unauthenticated(e.getMessage());
            case TOO_MANY_ATTEMPTS -> new ApiError(429, "rate_limit_error", "too_many_sign_in_attempts", null,
                    e.getMessage(), Map.of("Retry-After", Long.toString(e.retryAfterSeconds())));
        };
    }

    /** Set on a request whose refusal was audited where it happened, with more to say (a residency rule). */
    private static final String REFUSAL_AUDITED = "souverain.refusal-audited";

    /** Audits a 403 of an authenticated principal: who tried what, refused. */
    private void auditRefusal(Context ctx) {
        Principal principal = ctx.attribute(PRINCIPAL);
        if (principal != null && ctx.statusCode() == 403 && ctx.attribute(REFUSAL_AUDITED) == null) {
            tenancy.audit().append(AuditEvent.of(principal.organizationId(), principal.actorId(), "access.denied",
                    ctx.method().name() + " " + ctx.path(), ctx.ip(), AuditEvent.Outcome.DENIED));
        }
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
        serve(backends, residency, null, null);
    }

    /**
     * As {@link #serve(Backends, Residency)}, keeping conversations (requests with {@code store},
     * the /v1/conversations routes) with {@code privacy}, which also enforces retention, erasure and
     * export, and redacting each call to a remote backend as its organization's settings in
     * {@code redactions} say.
     */
    public void serve(Backends backends, Residency residency, Privacy privacy, Redactions redactions) {
        metrics.watch(backends);
        this.residency = residency;
        this.privacy = privacy;
        this.redactions = redactions;
        this.backends = backends;
    }

    /** The stored conversations and their lifecycle; 503 when the server runs without a store. */
    Privacy privacy() {
        backends();  // 503 while the backends load, as on every /v1 route
        Privacy kept = privacy;
        if (kept == null) {
            throw new ApiError(503, "server_error", "no_store", null,
                    "this server runs without a store, so it keeps no conversations", Map.of());
        }
        return kept;
    }

    /** From now on, GET /v1/sovereignty/report answers from {@code report}. */
    public void reportWith(SovereigntyReport report) {
        this.report = report;
    }

    /** The sovereignty report of this server; 503 until it has one. */
    SovereigntyReport report() {
        SovereigntyReport current = report;
        if (current == null) {
            throw new ApiError(503, "server_error", "no_store", null,
                    "this server runs without a store, so it has no sovereignty report", Map.of());
        }
        return current;
    }

    ApiMetrics metrics() {
        return metrics;
    }

    /** The context attribute that names the route a request matched, for the metrics. */
    private static final String ROUTE = "souverain.route";

    static Handler named(String route, Handler handler) {
        return ctx -> {
            ctx.attribute(ROUTE, route);
            handler.handle(ctx);
        };
    }

    /** The backend a request's model call went to, set by {@link #route}. */
    private static final String BACKEND = "souverain.backend";
    private static final String MODEL = "souverain.model";
    /** Set on a request whose answer failed after its status went out (a stream cut off or ended by an error). */
    private static final String FAILED = "souverain.failed";

    /** Marks the request's model call as failed, though its status says 200: the stream ended with an error. */
    static void failed(Context ctx) {
        ctx.attribute(FAILED, true);
    }

    /**
     * A generating route: shutdown waits for its last event, and its model call, once it reached a
     * backend, is audited here, the one place for every route: who called which model on which
     * backend, where, and whether it succeeded. A call refused by residency never reached one; it
     * is audited DENIED where it was refused.
     */
    Handler answering(Handler handler) {
        return ctx -> {
            answering.incrementAndGet();
            boolean threw = true;
            try {
                handler.handle(ctx);
                threw = false;
            } finally {
                try {
                    auditModelCall(ctx, threw);
                } finally {
                    answering.decrementAndGet();
                }
            }
        };
    }

    private void auditModelCall(Context ctx, boolean threw) {
        Backend backend = ctx.attribute(BACKEND);
        if (backend == null) {
            return;
        }
        Principal principal = principal(ctx);
        boolean failed = threw || ctx.attribute(FAILED) != null || ctx.statusCode() >= 400;
        tenancy.audit().append(new AuditEvent(principal.organizationId(), principal.actorId(), "model.call",
                ctx.attribute(MODEL), backend.name(), backend.location().describe(), ctx.ip(),
                failed ? AuditEvent.Outcome.FAILURE : AuditEvent.Outcome.SUCCESS));
    }

    /** The port it listens on: the one it was given, or the one the system chose for port 0. */
    public int port() {
        return app.port();
    }

    /** The body, refused before it is read whole when it is over the limit, whether or not its length is declared. */
    byte[] requestBody(Context ctx) throws IOException {
        return requestBody(ctx, settings.maxBodyBytes());
    }

    byte[] requestBody(Context ctx, long limit) throws IOException {
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
                    Map.of());
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
            ctx.attribute(BACKEND, backend);
            ctx.attribute(MODEL, model);
            return backend;
        }
        try {
            Principal principal = principal(ctx);
            policies.check(principal.organizationId(), backend, model, principal.actorId(), ctx.ip());
        } catch (ResidencyException e) {
            ctx.attribute(REFUSAL_AUDITED, true);
            throw forbidden(e.getMessage());
        }
        ctx.attribute(BACKEND, backend);
        ctx.attribute(MODEL, model);
        return backend;
    }

    /**
     * Starts {@code request} on {@code backend}, the one {@link #route} picked; a call leaving for
     * a remote backend is first redacted, when its organization's settings say so.
     */
    Generation start(Context ctx, Backend backend, ChatRequest request) {
        Redactions settings = redactions;
        if (backend.remote() && settings != null) {
            RedactionSettings own = settings.settings(principal(ctx).organizationId());
            if (own.enabled()) {
                return RemoteRedaction.start(backend, request, own.redactor().orElseThrow());
            }
        }
        return backend.start(request);
    }

    /** The redaction settings, for the admin routes; 503 when the server runs without a store. */
    Redactions redactions() {
        backends();
        Redactions settings = redactions;
        if (settings == null) {
            throw new ApiError(503, "server_error", "no_store", null,
                    "this server runs without a store, so it keeps no redaction settings", Map.of());
        }
        return settings;
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
            // OpenAI's code for it, which its clients know.
            case CONTEXT_EXCEEDED -> new ApiError(400, "invalid_request_error", "context_length_exceeded", "messages",
                    e.getMessage(), Map.of());
            case BUSY -> new ApiError(429, "rate_limit_error", "queue_full", null, e.getMessage(),
                    e.queueCapacity() == 0 ? Map.of()
                            : Map.of("x-ratelimit-limit-requests", Integer.toString(e.queueCapacity())));
            case UNAVAILABLE -> new ApiError(503, "server_error", "unavailable", null, e.getMessage(), Map.of());
            case BAD_GATEWAY -> new ApiError(502, "server_error", "bad_gateway", null, e.getMessage(), Map.of());
            case GATEWAY_TIMEOUT -> new ApiError(504, "server_error", "gateway_timeout", null, e.getMessage(), Map.of());
        };
    }

    /**
     * Writes {@code error}. Every 429 and 503 also says when to come back, in the headers clients
     * know from OpenAI's API: Retry-After (1 s unless the error says otherwise) and no requests
     * remaining until then.
     */
    private static void respond(ApiError error, Context ctx) {
        error.headers().forEach(ctx::header);
        if (error.status() == 429 || error.status() == 503) {
            String retryAfter = error.headers().getOrDefault("Retry-After", "1");
            ctx.header("Retry-After", retryAfter);
            ctx.header("x-ratelimit-remaining-requests", "0");
            ctx.header("x-ratelimit-reset-requests", retryAfter + "s");
        }
        Json.respond(ctx, error.status(), error.body());
    }

    private static String messageOf(HttpResponseException e, Context ctx) {
        return switch (e.getStatus()) {
            case 404 -> "no route for " + ctx.method() + " " + ctx.path();
            case 405 -> ctx.method() + " is not allowed on " + ctx.path();
            default -> e.getMessage();
        };
    }
}

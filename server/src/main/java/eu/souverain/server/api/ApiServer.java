package eu.souverain.server.api;

import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.backends.BackendException;
import eu.souverain.server.backends.Backends;
import eu.souverain.server.calls.ModelCalls;
import eu.souverain.server.documents.Documents;
import eu.souverain.server.documents.Ingestion;
import eu.souverain.server.documents.Retrieval;
import eu.souverain.server.limits.LimitExceeded;
import eu.souverain.server.limits.Metering;
import eu.souverain.server.privacy.Privacy;
import eu.souverain.server.privacy.Redactions;
import eu.souverain.server.provenance.ProvenanceSigner;
import eu.souverain.server.sovereignty.Residency;
import eu.souverain.server.sovereignty.ResidencyException;
import eu.souverain.server.sovereignty.SovereigntyReport;
import eu.souverain.server.sso.OrganizationSignOn;
import eu.souverain.server.sso.SingleSignOn;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.Tenancy;
import eu.souverain.server.tenancy.TenancyException;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.config.RoutesConfig;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HttpResponseException;
import io.javalin.router.Endpoint;
import java.io.EOFException;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;

/**
 * The HTTP API, a shell on Javalin with one virtual thread per request: the route table with who
 * may use each route ({@link Access}), authentication ({@link Authentication}), errors
 * ({@link ApiErrors}) and request metrics. The routes get their services when they are built, once,
 * in {@link #serve}; a model call goes through {@link ModelCalls}. It listens as soon as it starts,
 * so that /health answers while the models load; /ready and the routes that need the models
 * answer 503 until then.
 */
public final class ApiServer implements AutoCloseable {

    /** Set on a request whose 403 was audited where it happened, with more to say (a residency rule). */
    private static final String REFUSAL_AUDITED = "souverain.refusal-audited";

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

    /** What the routes serve: the backends (the server owns them from then on) and the store's services. */
    public record Services(Backends backends, Residency residency, Privacy privacy, Redactions redactions,
                           SovereigntyReport report, Metering metering, ProvenanceSigner provenance,
                           Documents documents) {}

    /** The routes built on the services. */
    private record Served(Backends backends, ModelCalls calls, ModelsRoute models, ChatCompletionsRoute chat,
                          CompletionsRoute completions, FimCompletionsRoute fim, EmbeddingsRoute embeddings,
                          PolicyRoute policy, RedactionRoute redaction, SovereigntyRoute sovereignty,
                          ConversationsRoutes conversations, PrivacyRoutes privacy, UsageRoute usage,
                          LimitsRoutes limits, LibrariesRoutes libraries, Documents documents, Ingestion ingestion) {}

    private final Settings settings;
    private final Tenancy tenancy;
    private final RequestBodies bodies;
    private final ApiMetrics metrics = new ApiMetrics();
    private final Javalin app;
    private final OidcRoutes oidc;
    private volatile Served served;
    private volatile boolean closed;

    private ApiServer(Settings settings, Tenancy tenancy) {
        this.settings = settings;
        this.tenancy = tenancy;
        this.bodies = new RequestBodies(settings.maxBodyBytes());
        this.oidc = new OidcRoutes(tenancy, bodies);
        Authentication authentication = new Authentication(tenancy);
        MetricsRoute metricsRoute = new MetricsRoute(metrics, authentication, tenancy);
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.concurrency.useVirtualThreads = true;
            config.http.maxRequestSize = settings.maxBodyBytes();
            // An uploaded document stays in memory, never in a temporary file in clear; its route caps its size.
            config.jetty.multipartConfig.maxInMemoryFileSize(Integer.MAX_VALUE, SizeUnit.BYTES);
            // Compression would buffer the event stream; answers are small anyway.
            config.http.compressionStrategy = CompressionStrategy.NONE;
            config.jetty.host = settings.host();
            config.jetty.port = settings.port();

            WebApp.serve(config);
            RoutesConfig routes = config.routes;
            routes.before(ctx -> ctx.header(RequestIds.HEADER, RequestIds.of(ctx.header(RequestIds.HEADER))));
            routes.before("/v1/*", authentication::authenticate);
            routes.beforeMatched(Access::check);
            // After the exception handlers, so that a refusal is counted with its own status.
            routes.after(this::finished);
            routes.get("/health", ctx -> Json.respond(ctx, 200, Map.of("status", "ok")));
            routes.get("/ready", when(s -> ctx -> Json.respond(ctx, 200,
                    Map.of("status", "ready", "models", s.backends().models().stream().map(m -> m.id()).toList()))));
            routes.get("/metrics", metricsRoute::get);
            // Else HEAD would answer 200 unauthenticated: what GET refuses, HEAD refuses too.
            routes.head("/metrics", metricsRoute::get);
            routes.get("/v1/models", when(s -> s.models()::list));
            routes.get("/v1/models/<id>", when(s -> s.models()::get));
            routes.post("/v1/chat/completions", when(s -> s.chat()::handle), Access.CHAT);
            routes.post("/v1/completions", when(s -> s.completions()::handle), Access.CHAT);
            routes.post("/v1/fim/completions", when(s -> s.fim()::handle), Access.CHAT);
            routes.post("/v1/embeddings", when(s -> s.embeddings()::handle), Access.EMBEDDINGS);
            routes.get("/v1/admin/policy", when(s -> s.policy()::get), Access.READERS);
            routes.put("/v1/admin/policy", when(s -> s.policy()::put), Access.ADMIN);
            routes.get("/v1/admin/redaction", when(s -> s.redaction()::get), Access.READERS);
            routes.put("/v1/admin/redaction", when(s -> s.redaction()::put), Access.ADMIN);
            routes.get("/v1/sovereignty/report", when(s -> s.sovereignty()::get), Access.READERS);
            routes.get("/v1/usage", when(s -> s.usage()::get));
            routes.get("/v1/admin/limits", when(s -> s.limits()::list), Access.READERS);
            routes.put("/v1/admin/limits/{kind}/{id}", when(s -> s.limits()::put), Access.ADMIN);
            routes.delete("/v1/admin/limits/{kind}/{id}", when(s -> s.limits()::remove), Access.ADMIN);
            routes.get("/v1/provenance/public-key", when(s -> ctx -> Json.respond(ctx, 200,
                    Map.of("object", "provenance.public_key", "keyset", s.calls().provenancePublicKey()))));
            routes.post("/v1/audit/verify", when(s -> s.sovereignty()::verify), Access.READERS);
            new AuthRoutes(tenancy, bodies).register(routes);
            new AdminRoutes(tenancy, bodies).register(routes);
            new AuditRoutes(tenancy).register(routes);
            GroupsRoutes groups = new GroupsRoutes(tenancy, bodies);
            groups.register(routes);
            // A group deleted takes its limits with it, which the limits' owner removes once it serves.
            routes.delete("/v1/admin/groups/{id}", when(s -> ctx -> {
                groups.delete(ctx);
                s.limits().forgetGroup(ctx, ctx.pathParam("id"));
            }), Access.ADMIN);
            oidc.register(routes);
            // Before the conversation routes, so that /v1/conversations/export is not taken for an id.
            routes.get("/v1/conversations/export", when(s -> s.privacy()::exportOwn), Access.CHAT);
            routes.get("/v1/admin/retention", when(s -> s.privacy()::getRetention), Access.READERS);
            routes.put("/v1/admin/retention", when(s -> s.privacy()::putRetention), Access.ADMIN);
            routes.delete("/v1/admin/users/{id}/data", when(s -> s.privacy()::eraseUser), Access.ADMIN);
            routes.delete("/v1/admin/organizations/{id}/data", when(s -> s.privacy()::eraseOrganization), Access.ADMIN);
            routes.get("/v1/admin/export", when(s -> s.privacy()::exportForAdmin), Access.ADMIN);
            routes.get("/v1/conversations", when(s -> s.conversations()::list), Access.CHAT);
            routes.post("/v1/conversations", when(s -> s.conversations()::create), Access.CHAT);
            routes.get("/v1/conversations/{id}", when(s -> s.conversations()::get), Access.CHAT);
            routes.patch("/v1/conversations/{id}", when(s -> s.conversations()::update), Access.CHAT);
            routes.delete("/v1/conversations/{id}", when(s -> s.conversations()::delete), Access.CHAT);
            routes.post("/v1/conversations/{id}/messages", when(s -> s.conversations()::append), Access.CHAT);
            routes.delete("/v1/conversations/{id}/messages/{messageId}", when(s -> s.conversations()::truncate),
                    Access.CHAT);
            routes.get("/v1/conversations/{id}/sovereignty", when(s -> s.conversations()::sovereignty), Access.CHAT);
            routes.post("/v1/conversations/{id}/completions", when(s -> s.conversations()::complete), Access.CHAT);
            routes.post("/v1/libraries", when(s -> s.libraries()::create), Access.CHAT);
            routes.get("/v1/libraries", when(s -> s.libraries()::list), Access.CHAT);
            routes.get("/v1/libraries/{id}", when(s -> s.libraries()::get), Access.CHAT);
            routes.put("/v1/libraries/{id}", when(s -> s.libraries()::update), Access.CHAT);
            routes.patch("/v1/libraries/{id}", when(s -> s.libraries()::update), Access.CHAT);
            routes.delete("/v1/libraries/{id}", when(s -> s.libraries()::delete), Access.CHAT);
            routes.post("/v1/libraries/{id}/documents", when(s -> s.libraries()::upload), Access.CHAT);
            routes.get("/v1/libraries/{id}/documents", when(s -> s.libraries()::documents), Access.CHAT);
            routes.get("/v1/libraries/{id}/documents/{documentId}", when(s -> s.libraries()::document), Access.CHAT);
            routes.delete("/v1/libraries/{id}/documents/{documentId}", when(s -> s.libraries()::deleteDocument),
                    Access.CHAT);
            routes.get("/v1/libraries/{id}/documents/{documentId}/status", when(s -> s.libraries()::status),
                    Access.CHAT);
            routes.get("/v1/libraries/{id}/documents/{documentId}/text_content", when(s -> s.libraries()::text),
                    Access.CHAT);
            routes.get("/v1/libraries/{id}/share", when(s -> s.libraries()::shares), Access.CHAT);
            routes.put("/v1/libraries/{id}/share", when(s -> s.libraries()::share), Access.CHAT);
            routes.delete("/v1/libraries/{id}/share", when(s -> s.libraries()::unshare), Access.CHAT);
            routes.post("/v1/search", when(s -> s.libraries()::search), Access.CHAT);

            routes.exception(ApiError.class, ApiErrors::respond);
            routes.exception(TenancyException.class, (e, ctx) -> ApiErrors.respond(ApiErrors.of(e), ctx));
            routes.exception(BackendException.class, (e, ctx) -> ApiErrors.respond(ApiErrors.of(e), ctx));
            routes.exception(LimitExceeded.class, (e, ctx) -> ApiErrors.respond(ApiErrors.of(e), ctx));
            routes.exception(ResidencyException.class, (e, ctx) -> {
                ctx.attribute(REFUSAL_AUDITED, true);
                ApiErrors.respond(ApiErrors.of(e), ctx);
            });
            routes.exception(HttpResponseException.class, (e, ctx) -> ApiErrors.respond(ApiErrors.of(e, ctx), ctx));
            routes.exception(EOFException.class, CutBodies::handle);
            routes.exception(Exception.class, (e, ctx) -> ApiErrors.respond(InternalErrors.of(ctx, e), ctx));
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

    /** From now on, the web app may sign in through {@code sso}'s OpenID provider. */
    public void signInWith(SingleSignOn sso) {
        oidc.signInWith(sso);
    }

    /** Lets each organization's administrators set their own OpenID provider (/v1/admin/sso). */
    public void organizationsSignInWith(OrganizationSignOn providers) {
        oidc.organizationsSignInWith(providers);
    }

    /** From now on, requests run on {@code services}: the routes are built on them, once. */
    public void serve(Services services) {
        metrics.watch(services.backends());
        ModelCalls calls = new ModelCalls(services.backends(), services.residency(), services.redactions(),
                tenancy.audit(), tenancy.groups(), services.metering(), services.provenance());
        Generations generations = new Generations(calls, metrics);
        Ingestion ingestion = new Ingestion(services.documents(), calls);
        Retrieval retrieval = new Retrieval(services.documents(), ingestion, calls);
        Grounding grounding = new Grounding(retrieval, services.backends());
        ConversationsRoutes conversations = new ConversationsRoutes(services.privacy().conversations(),
                services.report(), generations, bodies, grounding);
        served = new Served(services.backends(), calls, new ModelsRoute(services.backends(), tenancy.groups()),
                new ChatCompletionsRoute(generations, conversations, bodies, grounding),
                new CompletionsRoute(generations, bodies),
                new FimCompletionsRoute(generations, bodies), new EmbeddingsRoute(calls, bodies),
                new PolicyRoute(services.residency(), services.backends(), bodies),
                new RedactionRoute(services.redactions(), bodies),
                new SovereigntyRoute(services.report(), tenancy, services.documents()),
                conversations, new PrivacyRoutes(services.privacy(), tenancy, bodies, services.documents()),
                new UsageRoute(services.metering()),
                new LimitsRoutes(services.metering().settings(), tenancy, bodies, services.metering().clock()),
                new LibrariesRoutes(services.documents(), ingestion, retrieval, bodies), services.documents(), ingestion);
    }

    /** A route that needs the served models and store: 503 until {@link #serve}, and once shutdown begins. */
    private Handler when(Function<Served, Handler> route) {
        return ctx -> {
            Served current = served;
            if (current == null || closed) {
                throw new ApiError(503, "server_error", closed ? "shutting_down" : "not_ready", null,
                        closed ? "the server is shutting down" : "the models are still loading; try again shortly",
                        Map.of());
            }
            route.apply(current).handle(ctx);
        };
    }

    /** After every request: a 403 of an authenticated principal audited (who tried what), and the request counted. */
    private void finished(Context ctx) {
        Principal principal = Authentication.principalIfAny(ctx);
        if (principal != null && ctx.statusCode() == 403 && ctx.attribute(REFUSAL_AUDITED) == null) {
            tenancy.audit().append(AuditEvent.of(principal.organizationId(), principal.actorId(), "access.denied",
                    ctx.method().name() + " " + ctx.path(), ctx.ip(), AuditEvent.Outcome.DENIED));
        }
        Endpoint matched = ctx.endpoints().matchedHttpEndpoint();
        // The route's pattern, never the raw path, keeps the series few; <id> is written {id}, as in the docs.
        metrics.request(matched == null ? "unmatched" : matched.path.replace('<', '{').replace('>', '}'),
                ctx.statusCode());
    }

    /** The port it listens on: the one it was given, or the one the system chose for port 0. */
    public int port() {
        return app.port();
    }

    /**
     * Stops taking generations, gives the running ones the grace period to finish (then cuts
     * them off with an error event), stops the HTTP server and releases the models.
     */
    @Override
    public void close() {
        Served serving = served;
        closed = true;
        if (serving != null) {
            serving.backends().shutdown(settings.shutdownGrace());
            // Cut-off streams still write their last event; give them a moment before the sockets close.
            serving.calls().awaitClosed(Duration.ofSeconds(2));
        }
        app.stop();
        if (serving != null) {
            serving.ingestion().close();
            serving.documents().close();
            serving.backends().close();
        }
    }
}

package eu.souverain.server.api;

import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.backends.BackendException;
import eu.souverain.server.backends.Backends;
import eu.souverain.server.calls.ModelCalls;
import eu.souverain.server.catalogue.CatalogueStore;
import eu.souverain.server.documents.Documents;
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
import io.javalin.http.HttpResponseException;
import io.javalin.router.Endpoint;
import java.io.EOFException;
import java.time.Duration;
import java.util.Map;

/**
 * The HTTP API, a shell on Javalin with one virtual thread per request: authentication ({@link
 * Authentication}), who may use each route ({@link Access}), errors ({@link ApiErrors}), request
 * metrics, and the routes of accounts and administration. The routes that run on the models and
 * the store ({@link ServedRoutes}) get their services once, in {@link #serve}; a model call goes
 * through {@link ModelCalls}. It listens as soon as it starts, so that /health answers while the
 * models load; /ready and the routes that need the models answer 503 until then.
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
                           CatalogueStore catalogue, Documents documents) {}

    private final Settings settings;
    private final Tenancy tenancy;
    private final RequestBodies bodies;
    private final ApiMetrics metrics = new ApiMetrics();
    private final Javalin app;
    private final OidcRoutes oidc;
    private final ServedRoutes servedRoutes;

    /**
     * Jetty pads its counters to cache lines by the size of a reference, which it asks the platform
     * MBean server unless this property tells it: starting that server (JFR's diagnostic commands
     * with it) took about 0.1 s of serve's start. A reference takes 4 bytes with compressed oops,
     * which the JVM uses for heaps under 32 GB.
     */
    private static final String REFERENCES_PER_CACHE_LINE = "org.eclipse.jetty.util.referencesPerCacheLine";

    private ApiServer(Settings settings, Tenancy tenancy) {
        if (System.getProperty(REFERENCES_PER_CACHE_LINE) == null) {
            boolean compressedOops = Runtime.getRuntime().maxMemory() < 32L << 30;
            System.setProperty(REFERENCES_PER_CACHE_LINE, compressedOops ? "16" : "8");
        }
        this.settings = settings;
        this.tenancy = tenancy;
        this.bodies = new RequestBodies(settings.maxBodyBytes());
        this.oidc = new OidcRoutes(tenancy, bodies);
        this.servedRoutes = new ServedRoutes(tenancy, bodies, metrics);
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
            routes.get("/metrics", metricsRoute::get);
            // Else HEAD would answer 200 unauthenticated: what GET refuses, HEAD refuses too.
            routes.head("/metrics", metricsRoute::get);
            new AuthRoutes(tenancy, bodies).register(routes);
            new AdminRoutes(tenancy, bodies).register(routes);
            new AuditRoutes(tenancy).register(routes);
            GroupsRoutes groups = new GroupsRoutes(tenancy, bodies);
            groups.register(routes);
            oidc.register(routes);
            servedRoutes.register(routes, groups);

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
    }

    /**
     * Starts listening, authenticating requests against {@code tenancy}; the routes that need
     * models answer 503 until {@link #serve}.
     */
    public static ApiServer start(Settings settings, Tenancy tenancy) {
        return create(settings, tenancy).listen();
    }

    /**
     * The server with its routes, not listening yet: making them takes a few tenths of a second,
     * which a start can spend on something else meanwhile.
     */
    public static ApiServer create(Settings settings, Tenancy tenancy) {
        return new ApiServer(settings, tenancy);
    }

    /** Starts listening; see {@link #start}. */
    public ApiServer listen() {
        app.start();
        return this;
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
        servedRoutes.serve(services);
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
        servedRoutes.stop(settings.shutdownGrace());
        app.stop();
        servedRoutes.release();
    }
}

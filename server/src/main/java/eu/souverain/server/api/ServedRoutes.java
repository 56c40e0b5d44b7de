package eu.souverain.server.api;

import eu.souverain.server.backends.Backends;
import eu.souverain.server.batch.BatchRunner;
import eu.souverain.server.calls.ModelCalls;
import eu.souverain.server.catalogue.CatalogueJobs;
import eu.souverain.server.catalogue.PrestaShop;
import eu.souverain.server.documents.Documents;
import eu.souverain.server.documents.Ingestion;
import eu.souverain.server.documents.Retrieval;
import eu.souverain.server.tenancy.Tenancy;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Handler;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;

/**
 * The routes that run on the models and the store, with who may use each: their handlers are
 * built once, on the services {@link ApiServer#serve} is given, and get them through their
 * constructors. Until then, and once shutdown begins, these routes answer 503.
 */
final class ServedRoutes {

    /** The routes built on the services. */
    private record Served(Backends backends, ModelCalls calls, ModelsRoute models, ChatCompletionsRoute chat,
                          CompletionsRoute completions, FimCompletionsRoute fim, EmbeddingsRoute embeddings,
                          PolicyRoute policy, RedactionRoute redaction, SovereigntyRoute sovereignty,
                          ConversationsRoutes conversations, PrivacyRoutes privacy, UsageRoute usage,
                          LimitsRoutes limits, FilesRoutes files, BatchRoutes batches, BatchRunner runner,
                          CatalogueJobs catalogueJobs, CatalogueRoutes catalogue, LibrariesRoutes libraries,
                          Documents documents, Ingestion ingestion) {}

    private final Tenancy tenancy;
    private final RequestBodies bodies;
    private final ApiMetrics metrics;
    private volatile Served served;
    private volatile boolean closed;

    ServedRoutes(Tenancy tenancy, RequestBodies bodies, ApiMetrics metrics) {
        this.tenancy = tenancy;
        this.bodies = bodies;
        this.metrics = metrics;
    }

    /** Adds the routes; {@code groups}' deletion takes the group's limits with it. */
    void register(RoutesConfig routes, GroupsRoutes groups) {
        routes.get("/ready", when(s -> ctx -> Json.respond(ctx, 200,
                Map.of("status", "ready", "models", s.backends().models().stream().map(m -> m.id()).toList()))));
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
        // A group deleted takes its limits with it, which the limits' owner removes once it serves.
        routes.delete("/v1/admin/groups/{id}", when(s -> ctx -> {
            groups.delete(ctx);
            s.limits().forgetGroup(ctx, ctx.pathParam("id"));
        }), Access.ADMIN);
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
        // Files and batch jobs: Mistral's paths and shapes, and OpenAI's /v1/batches on the same jobs.
        routes.post("/v1/files", when(s -> s.files()::upload), Access.MODELS);
        routes.get("/v1/files", when(s -> s.files()::list), Access.MODELS);
        routes.get("/v1/files/{id}", when(s -> s.files()::get), Access.MODELS);
        routes.get("/v1/files/{id}/content", when(s -> s.files()::content), Access.MODELS);
        routes.delete("/v1/files/{id}", when(s -> s.files()::delete), Access.MODELS);
        routes.post("/v1/batch/jobs", when(s -> s.batches()::createMistral), Access.MODELS);
        routes.get("/v1/batch/jobs", when(s -> s.batches()::listMistral), Access.MODELS);
        routes.get("/v1/batch/jobs/{id}", when(s -> s.batches()::getMistral), Access.MODELS);
        routes.post("/v1/batch/jobs/{id}/cancel", when(s -> s.batches()::cancelMistral), Access.MODELS);
        routes.post("/v1/batches", when(s -> s.batches()::createOpenAi), Access.MODELS);
        routes.get("/v1/batches", when(s -> s.batches()::listOpenAi), Access.MODELS);
        routes.get("/v1/batches/{id}", when(s -> s.batches()::getOpenAi), Access.MODELS);
        routes.post("/v1/batches/{id}/cancel", when(s -> s.batches()::cancelOpenAi), Access.MODELS);
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
        routes.put("/v1/libraries/{id}/documents/{documentId}", when(s -> s.libraries()::updateDocument), Access.CHAT);
        routes.patch("/v1/libraries/{id}/documents/{documentId}", when(s -> s.libraries()::updateDocument),
                Access.CHAT);
        routes.post("/v1/libraries/{id}/documents/{documentId}/reprocess", when(s -> s.libraries()::reprocess),
                Access.CHAT);
        routes.get("/v1/libraries/{id}/documents/{documentId}/signed-url", when(s -> s.libraries()::signedUrl),
                Access.CHAT);
        routes.get("/v1/libraries/{id}/documents/{documentId}/extracted-text-signed-url",
                when(s -> s.libraries()::textSignedUrl), Access.CHAT);
        // Outside /v1: a signed link needs no API key; its signature and time are checked instead.
        routes.get("/documents/download/{id}/{documentId}/{kind}", when(s -> s.libraries()::download));
        routes.get("/v1/libraries/{id}/documents/{documentId}/status", when(s -> s.libraries()::status), Access.CHAT);
        routes.get("/v1/libraries/{id}/documents/{documentId}/text_content", when(s -> s.libraries()::text),
                Access.CHAT);
        routes.get("/v1/libraries/{id}/share", when(s -> s.libraries()::shares), Access.CHAT);
        routes.put("/v1/libraries/{id}/share", when(s -> s.libraries()::share), Access.CHAT);
        routes.delete("/v1/libraries/{id}/share", when(s -> s.libraries()::unshare), Access.CHAT);
        routes.post("/v1/search", when(s -> s.libraries()::search), Access.CHAT);
        // A job makes the server call the shop's address with the shop's key: the organization's admins only.
        routes.post("/v1/catalogue/jobs", when(s -> s.catalogue()::create), Access.CHAT, Access.ADMIN);
        routes.get("/v1/catalogue/jobs", when(s -> s.catalogue()::list), Access.CHAT, Access.ADMIN);
        routes.get("/v1/catalogue/jobs/{id}", when(s -> s.catalogue()::get), Access.CHAT, Access.ADMIN);
        routes.get("/v1/catalogue/jobs/{id}/review", when(s -> s.catalogue()::review), Access.CHAT, Access.ADMIN);
        routes.post("/v1/catalogue/jobs/{id}/apply", when(s -> s.catalogue()::apply), Access.CHAT, Access.ADMIN);

    }

    /** From now on, requests run on {@code services}: the routes are built on them, once. */
    void serve(ApiServer.Services services) {
        metrics.watch(services.backends());
        ModelCalls calls = new ModelCalls(services.backends(), services.residency(), services.redactions(),
                tenancy.audit(), tenancy.groups(), services.metering(), services.provenance());
        Generations generations = new Generations(calls, metrics);
        EmbeddingsRoute embeddings = new EmbeddingsRoute(calls, bodies);
        BatchRunner runner = BatchRunner.start(services.privacy().batchJobs(), new BatchCalls(generations, embeddings),
                BatchRunner.Settings.DEFAULT);
        Ingestion ingestion = new Ingestion(services.documents(), calls);
        Retrieval retrieval = new Retrieval(services.documents(), ingestion, calls);
        Grounding grounding = new Grounding(retrieval, services.backends());
        ConversationsRoutes conversations = new ConversationsRoutes(services.privacy().conversations(),
                services.report(), generations, bodies, grounding, services.documents());
        CatalogueJobs catalogueJobs = new CatalogueJobs(services.catalogue(), calls, PrestaShop.Retry.DEFAULT);
        served = new Served(services.backends(), calls, new ModelsRoute(services.backends(), tenancy.groups()),
                new ChatCompletionsRoute(generations, conversations, bodies, grounding),
                new CompletionsRoute(generations, bodies), new FimCompletionsRoute(generations, bodies), embeddings,
                new PolicyRoute(services.residency(), services.backends(), bodies),
                new RedactionRoute(services.redactions(), bodies),
                new SovereigntyRoute(services.report(), tenancy, services.documents()),
                conversations, new PrivacyRoutes(services.privacy(), tenancy, bodies, services.documents()),
                new UsageRoute(services.metering()),
                new LimitsRoutes(services.metering().settings(), tenancy, bodies, services.metering().clock()),
                new FilesRoutes(services.privacy().files(), bodies),
                new BatchRoutes(services.privacy().batchJobs(), runner, bodies), runner,
                catalogueJobs, new CatalogueRoutes(catalogueJobs, bodies, calls.defaultModel()),
                new LibrariesRoutes(services.documents(), ingestion, retrieval, bodies, tenancy.users()), services.documents(), ingestion);
        // Jobs a stopped (or killed) server left unfinished go on where they were.
        catalogueJobs.resumeUnfinished();
    }

    /**
     * Stops taking work: the jobs are let go (to be taken up where they were at the next start),
     * the running generations get {@code grace} to finish, then the cut-off streams a moment to
     * write their last event.
     */
    void stop(Duration grace) {
        closed = true;
        Served serving = served;
        if (serving != null) {
            serving.runner().close();
            serving.catalogueJobs().close();
            serving.backends().shutdown(grace);
            serving.calls().awaitClosed(Duration.ofSeconds(2));
        }
    }

    /** Releases the models; after {@link #stop} and once the HTTP server has stopped. */
    void release() {
        Served serving = served;
        if (serving != null) {
            serving.ingestion().close();
            serving.documents().close();
            serving.backends().close();
        }
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
}

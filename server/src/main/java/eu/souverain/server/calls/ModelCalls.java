package eu.souverain.server.calls;

import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.backends.Backend;
import eu.souverain.server.backends.BackendException;
import eu.souverain.server.backends.Backends;
import eu.souverain.server.backends.ChatRequest;
import eu.souverain.server.backends.EmbeddingRequest;
import eu.souverain.server.backends.Embeddings;
import eu.souverain.server.backends.Completion;
import eu.souverain.server.backends.Generation;
import eu.souverain.server.backends.PreparedEmbeddings;
import eu.souverain.server.backends.PreparedRequest;
import eu.souverain.server.backends.RerankRequest;
import eu.souverain.server.backends.Reranking;
import eu.souverain.server.backends.RequestOwner;
import eu.souverain.server.limits.Admission;
import eu.souverain.server.limits.LimitExceeded;
import eu.souverain.server.limits.Metering;
import eu.souverain.server.limits.UsageRecord;
import eu.souverain.server.privacy.Redaction;
import eu.souverain.server.privacy.RedactionSettings;
import eu.souverain.server.privacy.Redactions;
import eu.souverain.server.privacy.RemoteRedaction;
import eu.souverain.server.provenance.ProvenanceSigner;
import eu.souverain.server.provenance.SignedStatement;
import eu.souverain.server.provenance.Statement;
import eu.souverain.server.sovereignty.Residency;
import eu.souverain.server.sovereignty.ResidencyException;
import eu.souverain.server.tenancy.Groups;
import eu.souverain.server.tenancy.Principal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A model call, end to end, for every route that runs a model (chat, completions, fill in the
 * middle, embeddings, stored conversations, batch lines, document search and its rerank): the
 * model looked up among the backends and those the caller's groups allow, the request checked
 * against the model (a request it cannot run is refused before any limit counts it), the caller's
 * organization's residency policy checked, the caller's rate limits and budgets counted, the
 * request redacted when it leaves for a remote backend and the organization says so, the backend
 * started, and the outcome audited and metered once when the call closes: who called which model
 * on which backend, where, whether it succeeded, and the tokens it took. A call the policy or a
 * limit refuses never reaches a backend; {@link Residency} audits it DENIED, with the rule, as it
 * refuses, and so does this class for a limit. Each answer's text can be stated AI-generated,
 * signed ({@link Call#provenance}).
 */
public final class ModelCalls {

    private final Backends backends;
    private final Residency residency;
    private final Redactions redactions;
    private final AuditLog audit;
    private final Groups groups;
    private final Metering metering;
    private final ProvenanceSigner provenance;
    /** Calls not closed yet; shutdown waits for them to write their last event. */
    private final AtomicInteger open = new AtomicInteger();

    public ModelCalls(Backends backends, Residency residency, Redactions redactions, AuditLog audit, Groups groups,
                      Metering metering, ProvenanceSigner provenance) {
        this.backends = backends;
        this.residency = residency;
        this.redactions = redactions;
        this.audit = audit;
        this.groups = groups;
        this.metering = metering;
        this.provenance = provenance;
    }

    public Backends backends() {
        return backends;
    }

    /** The model a chat request that names none runs on: the first one served that chats. */
    public String defaultModel() {
        return backends.defaultChatModel();
    }

    /**
     * The model that embeds texts when none is named: the bundled sentence-embedding model unless
     * {@code serve --embedding-model} chose another (a remote backend's, for instance).
     */
    public String defaultEmbeddingModel() {
        return backends.defaultEmbeddingModel();
    }

    /**
     * A call of {@code caller} to run {@code request} through {@code endpoint} (the route, for usage
     * reports): the request checked against its model first, then started on its backend ({@link
     * Call#start}) once the caller's residency policy and limits allow it. Throws {@link
     * BackendException} for an unknown model or a request it cannot run, {@link ResidencyException}
     * and {@link LimitExceeded} for a refusal; close the call to audit and meter its outcome.
     */
    public Call open(Principal caller, String clientIp, String endpoint, ChatRequest request) {
        Backend backend = lookUp(caller, clientIp, request.model());
        PreparedRequest prepared = checked(caller, clientIp, endpoint, request.model(), backend,
                () -> backend.prepare(request));
        Call call = admit(caller, clientIp, endpoint, request.model(), backend);
        call.prepared = prepared;
        return call;
    }

    /** The backend serving {@code model}, if the caller's groups may use it. */
    private Backend lookUp(Principal caller, String clientIp, String model) {
        Backend backend = backends.serving(model);
        // A model the caller's groups may not use is answered as one that does not exist.
        if (!groups.mayUse(caller, model)) {
            audit.append(AuditEvent.of(caller.organizationId(), caller.actorId(), "model.access", model, clientIp,
                    AuditEvent.Outcome.DENIED));
            throw BackendException.modelNotFound(model);
        }
        return backend;
    }

    /**
     * The request as {@code backend} checked it. Checked before any limit counts it: a request that
     * cannot run costs its caller nothing, and is audited and metered as invalid.
     */
    private <T> T checked(Principal caller, String clientIp, String endpoint, String model, Backend backend,
                          Supplier<T> check) {
        try {
            return check.get();
        } catch (BackendException e) {
            audit.append(new AuditEvent(caller.organizationId(), caller.actorId(), "model.call", model, backend.name(),
                    backend.location().describe(), clientIp, AuditEvent.Outcome.FAILURE));
            meter(caller, groups.memberOf(caller), endpoint, model, backend, "invalid", null, System.nanoTime());
            throw e;
        }
    }

    /** Opens a call on {@code backend} once the caller's residency policy and limits allow it. */
    private Call admit(Principal caller, String clientIp, String endpoint, String model, Backend backend) {
        long opened = System.nanoTime();
        List<String> callerGroups = groups.memberOf(caller);
        Admission.Granted granted;
        try {
            residency.check(caller.organizationId(), backend, model, caller.actorId(), clientIp);
            granted = metering.admit(caller, callerGroups);
        } catch (ResidencyException e) {
            meter(caller, callerGroups, endpoint, model, backend, "refused", null, opened);
            throw e;
        } catch (LimitExceeded e) {
            audit.append(new AuditEvent(caller.organizationId(), caller.actorId(), "model.call", model + " (limit "
                    + e.limit() + " of " + e.subject().kind().name().toLowerCase(Locale.ROOT) + " "
                    + e.subject().id() + ")", backend.name(), backend.location().describe(), clientIp,
                    AuditEvent.Outcome.DENIED));
            meter(caller, callerGroups, endpoint, model, backend, "refused", null, opened);
            throw e;
        }
        open.incrementAndGet();
        return new Call(caller, callerGroups, clientIp, endpoint, model, backend, granted, opened);
    }

    /**
     * Embeds {@code request} as a call of its own: its inputs checked against the model first,
     * then opened, run, audited and metered here.
     */
    public Embeddings embed(Principal caller, String clientIp, String endpoint, EmbeddingRequest request) {
        Backend backend = lookUp(caller, clientIp, request.model());
        PreparedEmbeddings prepared = checked(caller, clientIp, endpoint, request.model(), backend,
                () -> backend.prepare(request));
        try (Call call = admit(caller, clientIp, endpoint, request.model(), backend)) {
            Embeddings embeddings = RequestOwner.as(caller.organizationId(), () -> call.backend.embed(prepared));
            call.completed(new Completion(embeddings.promptTokens(), 0, 0));
            return embeddings;
        }
    }

    /**
     * Scores {@code request}'s documents against its query as a call of its own: looked up, its
     * residency and limits checked, redacted when it leaves for a remote backend and the
     * organization redacts, run, audited and metered here. The scores come back in the documents'
     * order; a redacted passage is scored as redacted, and nothing needs restoring.
     */
    public Reranking rerank(Principal caller, String clientIp, String endpoint, RerankRequest request) {
        Backend backend = lookUp(caller, clientIp, request.model());
        try (Call call = admit(caller, clientIp, endpoint, request.model(), backend)) {
            Reranking reranking = backend.rerank(backend.remote() ? redacted(caller, request) : request);
            call.completed(new Completion(reranking.promptTokens(), 0, 0));
            return reranking;
        }
    }

    private RerankRequest redacted(Principal caller, RerankRequest request) {
        RedactionSettings settings = redactions.settings(caller.organizationId());
        if (!settings.enabled()) {
            return request;
        }
        List<String> texts = new ArrayList<>(request.documents().size() + 1);
        texts.add(request.query());
        texts.addAll(request.documents());
        Redaction redaction = settings.redactor().orElseThrow().redact(texts);
        return new RerankRequest(request.model(), redaction.texts().getFirst(),
                redaction.texts().subList(1, texts.size()), request.timeout());
    }

    /** Records a call's usage, whatever its outcome, and charges its tokens (none when it never ran). */
    private void meter(Principal caller, List<String> callerGroups, String endpoint, String model, Backend backend,
                       String outcome, Completion completion, long opened) {
        Completion spent = completion != null ? completion : new Completion(0, 0, 0);
        metering.settle(caller, callerGroups, new UsageRecord("call_" + UUID.randomUUID(), caller.organizationId(),
                caller.isUser() ? caller.actorId() : null, caller.isUser() ? null : caller.actorId(),
                callerGroups.isEmpty() ? null : callerGroups.getFirst(), endpoint, model, backend.name(), backend.location().describe(),
                spent.promptTokens(), spent.cachedTokens(), spent.completionTokens(),
                (System.nanoTime() - opened) / 1_000_000, outcome,
                metering.energyWh(backend.name(), spent.promptTokens() + spent.completionTokens()),
                metering.clock().millis()));
    }

    /** The public key that verifies this server's provenance statements. */
    public String provenancePublicKey() {
        return provenance.publicKeyset();
    }

    /** Waits up to {@code limit} for the open calls to close, so that cut-off streams still end properly. */
    public void awaitClosed(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (open.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * One request's call to its backend. It may start more than once (a stored conversation
     * retries with fewer turns when the prompt outgrows the context); its outcome is the last
     * start's, failed if anything about it failed, and it is audited once, on close.
     */
    public final class Call implements AutoCloseable {
        private final Principal caller;
        private final List<String> callerGroups;
        private final String clientIp;
        private final String endpoint;
        private final String model;
        private final Backend backend;
        private final Admission.Granted granted;
        private final long opened;
        /** The request as its backend checked it. */
        private PreparedRequest prepared;
        private boolean failed = true;
        private Completion completion;
        /** Pieces of text streamed so far: what a call cut off before its usage is known is charged for. */
        private int produced;

        private Call(Principal caller, List<String> callerGroups, String clientIp, String endpoint, String model,
                     Backend backend, Admission.Granted granted, long opened) {
            this.caller = caller;
            this.callerGroups = callerGroups;
            this.clientIp = clientIp;
            this.endpoint = endpoint;
            this.model = model;
            this.backend = backend;
            this.granted = granted;
            this.opened = opened;
        }

        public Backend backend() {
            return backend;
        }

        /**
         * What the answer's headers say of the caller's limits: OpenAI's x-ratelimit-* figures,
         * and a warning past a budget's soft threshold.
         */
        public Map<String, String> headers() {
            Map<String, String> headers = new LinkedHashMap<>(granted.headers());
            if (!granted.warnings().isEmpty()) {
                headers.put("x-souverain-budget-warning", String.join("; ", granted.warnings()));
            }
            return headers;
        }

        /** The request this call runs. */
        public ChatRequest request() {
            return prepared.request();
        }

        /**
         * Runs {@code shorter} instead of the request the call was opened for, checked again: a
         * stored conversation asks a remote model again with fewer turns when the first prompt
         * outgrew its context. Throws {@link BackendException} when it cannot run.
         */
        public void retry(ChatRequest shorter) {
            prepared = backend.prepare(shorter);
        }

        /**
         * Starts the request on the call's backend, redacted first when it leaves for a remote one.
         * Under a token budget the answer may not spend more than is left: its max_tokens shrinks
         * to that, so that it ends with finish "length" at the budget.
         */
        public Generation start() {
            failed = true;
            PreparedRequest request = withinBudget(prepared);
            Generation generation;
            if (backend.remote()) {
                RedactionSettings settings = redactions.settings(caller.organizationId());
                generation = settings.enabled()
                        ? RemoteRedaction.start(backend, request.request(), settings.redactor().orElseThrow())
                        : backend.start(request);
            } else {
                generation = RequestOwner.as(caller.organizationId(), () -> backend.start(request));
            }
            failed = false;
            return generation;
        }

        private PreparedRequest withinBudget(PreparedRequest request) {
            long perChoice = granted.tokensLeft() / request.request().choices();
            if (perChoice >= request.request().maxTokens()) {
                return request;
            }
            return request.withMaxTokens((int) Math.max(1, perChoice));
        }

        /** One more piece of the answer went out (about a token). */
        public void produced() {
            produced++;
        }

        /** The answer is whole: these are its tokens. */
        public void completed(Completion completion) {
            this.completion = completion;
            failed = false;
        }

        /** The answer failed after it started: a stream cut off or ended by an error. */
        public void failed() {
            failed = true;
        }

        /** The signed statement that {@code text}, the answer {@code id} made at {@code created}, is AI-generated. */
        public SignedStatement provenance(String id, long created, String text) {
            String country = backend.location().country();
            String region = backend.location().region();
            String location = country == null ? "unknown" : region == null ? country : country + "/" + region;
            return provenance.sign(Statement.of(id, created, model, backend.name(), location, caller.organizationId(),
                    text));
        }

        @Override
        public void close() {
            try {
                audit.append(new AuditEvent(caller.organizationId(), caller.actorId(), "model.call", model,
                        backend.name(), backend.location().describe(), clientIp,
                        failed ? AuditEvent.Outcome.FAILURE : AuditEvent.Outcome.SUCCESS));
                meter(caller, callerGroups, endpoint, model, backend, failed ? "failed" : "completed",
                        completion != null ? completion : new Completion(0, 0, produced), opened);
            } finally {
                open.decrementAndGet();
            }
        }
    }
}

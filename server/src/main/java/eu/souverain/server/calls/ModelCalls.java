package eu.souverain.server.calls;

import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.backends.Backend;
import eu.souverain.server.backends.BackendException;
import eu.souverain.server.backends.Backends;
import eu.souverain.server.backends.ChatRequest;
import eu.souverain.server.backends.EmbeddingRequest;
import eu.souverain.server.backends.Embeddings;
import eu.souverain.server.backends.Generation;
import eu.souverain.server.privacy.RedactionSettings;
import eu.souverain.server.privacy.Redactions;
import eu.souverain.server.privacy.RemoteRedaction;
import eu.souverain.server.sovereignty.Residency;
import eu.souverain.server.sovereignty.ResidencyException;
import eu.souverain.server.tenancy.Principal;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A model call, end to end, for every route that runs a model (chat, completions, fill in the
 * middle, embeddings, stored conversations): the model looked up among the backends, the caller's
 * organization's residency policy checked, the request redacted when it leaves for a remote
 * backend and the organization says so, the backend started, and the outcome audited once when
 * the call closes: who called which model on which backend, where, and whether it succeeded. A
 * call the policy refuses never reaches a backend; {@link Residency} audits it DENIED, with the
 * rule, as it refuses.
 */
public final class ModelCalls {

    private final Backends backends;
    private final Residency residency;
    private final Redactions redactions;
    private final AuditLog audit;
    /** Calls not closed yet; shutdown waits for them to write their last event. */
    private final AtomicInteger open = new AtomicInteger();

    public ModelCalls(Backends backends, Residency residency, Redactions redactions, AuditLog audit) {
        this.backends = backends;
        this.residency = residency;
        this.redactions = redactions;
        this.audit = audit;
    }

    public Backends backends() {
        return backends;
    }

    /** The model a request that names none runs on: the first one served. */
    public String defaultModel() {
        return backends.models().getFirst().id();
    }

    /**
     * A call of {@code caller} to {@code model}, on the backend that serves it once the caller's
     * residency policy allows it. Throws {@link BackendException} for an unknown model and
     * {@link ResidencyException} for a refusal; close the call to audit its outcome.
     */
    public Call open(Principal caller, String clientIp, String model) {
        Backend backend = backends.serving(model);
        residency.check(caller.organizationId(), backend, model, caller.actorId(), clientIp);
        open.incrementAndGet();
        return new Call(caller, clientIp, model, backend);
    }

    /** Embeds {@code request} as a call of its own: opened, run and audited here. */
    public Embeddings embed(Principal caller, String clientIp, EmbeddingRequest request) {
        try (Call call = open(caller, clientIp, request.model())) {
            Embeddings embeddings = call.backend.embed(request);
            call.failed = false;
            return embeddings;
        }
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
        private final String clientIp;
        private final String model;
        private final Backend backend;
        private boolean failed = true;

        private Call(Principal caller, String clientIp, String model, Backend backend) {
            this.caller = caller;
            this.clientIp = clientIp;
            this.model = model;
            this.backend = backend;
        }

        public Backend backend() {
            return backend;
        }

        /** Starts {@code request} on the call's backend, redacted first when it leaves for a remote one. */
        public Generation start(ChatRequest request) {
            failed = true;
            Generation generation;
            if (backend.remote()) {
                RedactionSettings settings = redactions.settings(caller.organizationId());
                generation = settings.enabled()
                        ? RemoteRedaction.start(backend, request, settings.redactor().orElseThrow())
                        : backend.start(request);
            } else {
                generation = backend.start(request);
            }
            failed = false;
            return generation;
        }

        /** The answer failed after it started: a stream cut off or ended by an error. */
        public void failed() {
            failed = true;
        }

        @Override
        public void close() {
            try {
                audit.append(new AuditEvent(caller.organizationId(), caller.actorId(), "model.call", model,
                        backend.name(), backend.location().describe(), clientIp,
                        failed ? AuditEvent.Outcome.FAILURE : AuditEvent.Outcome.SUCCESS));
            } finally {
                open.decrementAndGet();
            }
        }
    }
}

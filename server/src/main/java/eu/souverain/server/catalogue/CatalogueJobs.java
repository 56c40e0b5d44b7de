package eu.souverain.server.catalogue;

import eu.souverain.server.calls.ModelCalls;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.Role;
import eu.souverain.server.tenancy.Scope;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Catalogue jobs of the API: each runs on a thread of its own, in the server; its shop key is kept
 * encrypted under the organization's data key until the job ends, so that a job the server was
 * stopped (or killed) in the middle of resumes when it starts again, skipping what it wrote.
 */
public final class CatalogueJobs implements AutoCloseable {

    /** Jobs one organization may have queued or running at once: each holds a model's slots for long. */
    public static final int MAX_RUNNING_PER_ORGANIZATION = 2;
    /**
     * Products one job of the server works on at once, at most: two jobs then hold at most 8
     * places of a model's queue, and interactive requests keep theirs.
     */
    public static final int MAX_CONCURRENCY = 4;
    private static final Logger LOG = LoggerFactory.getLogger(CatalogueJobs.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final CatalogueStore store;
    private final ModelCalls calls;
    private final Enrichment enrichment;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final Set<Thread> running = ConcurrentHashMap.newKeySet();
    private final Set<String> runningIds = ConcurrentHashMap.newKeySet();

    public CatalogueJobs(CatalogueStore store, ModelCalls calls, PrestaShop.Retry retry) {
        this.store = store;
        this.calls = calls;
        this.enrichment = new Enrichment(store, calls, retry);
    }

    /** Thrown when the organization already runs as many jobs as it may. */
    public static final class TooManyJobs extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public TooManyJobs(String message) {
            super(message);
        }
    }

    /**
     * Creates a job of {@code caller}'s organization and starts it; a model no backend serves is
     * refused here ({@link eu.souverain.server.backends.BackendException}), before any job exists.
     */
    public CatalogueJob start(Principal caller, String clientIp, EnrichmentSettings settings, ShopKey key) {
        calls.backends().serving(settings.model());
        if (settings.concurrency() > MAX_CONCURRENCY) {
            throw new IllegalArgumentException("concurrency must be at most " + MAX_CONCURRENCY + " in the server, so that"
                    + " interactive requests keep their place in the models' queues; was " + settings.concurrency());
        }
        long active = store.list(caller.organizationId(), 100).stream()
                .filter(j -> j.status() == CatalogueJob.Status.QUEUED || j.status() == CatalogueJob.Status.RUNNING).count();
        if (active >= MAX_RUNNING_PER_ORGANIZATION) {
            throw new TooManyJobs("the organization already has " + active + " catalogue jobs queued or running (at"
                    + " most " + MAX_RUNNING_PER_ORGANIZATION + "); wait for one to finish");
        }
        byte[] id = new byte[12];
        RANDOM.nextBytes(id);
        String jobId = "catjob_" + HexFormat.of().formatHex(id);
        byte[] encryptedKey = store.encrypt(caller.organizationId(), keyRecord(jobId), key.secretBytes());
        CatalogueJob job = store.open(jobId, caller.organizationId(), caller.actorId(), clientIp, settings, encryptedKey);
        launch(job, key, caller, clientIp);
        return job;
    }

    /** Starts again the jobs a stopped server left queued or running. */
    public void resumeUnfinished() {
        for (CatalogueJob job : store.unfinished()) {
            if (runningIds.contains(job.id())) {
                continue;
            }
            ShopKey key;
            try {
                key = ShopKey.fromSecretBytes(store.decrypt(job.organizationId(), keyRecord(job.id()),
                        store.encryptedKey(job.id()).orElseThrow()));
            } catch (RuntimeException e) {
                // Its organization's data key was destroyed (erasure), say: the job cannot go on, the server can.
                store.finish(job.id(), CatalogueJob.Status.FAILED, "cannot resume: the shop key no longer decrypts ("
                        + e.getMessage() + ")");
                continue;
            }
            // The job acts as who created it: a user (members' model groups apply) or an API key.
            String actor = job.createdBy();
            Principal caller = new Principal(job.organizationId(), actor, actor.startsWith("usr_") ? Role.MEMBER : null,
                    Set.of(Scope.CHAT));
            launch(job, key, caller, null);
        }
    }

    public Optional<CatalogueJob> find(String organizationId, String id) {
        return store.find(organizationId, id);
    }

    public List<CatalogueJob> list(String organizationId, int limit) {
        return store.list(organizationId, limit);
    }

    /** A page of a job's proposals (a dry run) or written fields, decrypted. */
    public List<ReviewFiles.Proposal> review(CatalogueJob job, int limit, int offset) {
        return ReviewFiles.proposals(store, job, limit, offset);
    }

    private static String keyRecord(String jobId) {
        return "catalogue-job/" + jobId + "/shop-key";
    }

    private void launch(CatalogueJob job, ShopKey key, Principal caller, String clientIp) {
        runningIds.add(job.id());
        Thread thread = Thread.ofVirtual().name("catalogue-" + job.id()).unstarted(() -> {
            try {
                enrichment.run(job, key, caller, clientIp, new Enrichment.Listener() {
                    @Override
                    public void started(Map<Integer, String> languages, long totalProducts) {
                    }

                    @Override
                    public void progressed(Enrichment.Counts counts) {
                    }

                    @Override
                    public boolean stopping() {
                        return stopping.get();
                    }
                });
            } catch (RuntimeException e) {
                // Stored with the job as its error; the log says which job, never the key.
                LOG.warn("catalogue job {} failed: {}", job.id(), e.getMessage());
            } finally {
                runningIds.remove(job.id());
                running.remove(Thread.currentThread());
            }
        });
        running.add(thread);
        thread.start();
    }

    /** Stops taking products; the running jobs stay unfinished in the store and resume at the next start. */
    @Override
    public void close() {
        stopping.set(true);
        for (Thread thread : new HashSet<>(running)) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}

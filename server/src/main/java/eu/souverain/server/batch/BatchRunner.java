package eu.souverain.server.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.server.backends.RequestOwner;
import eu.souverain.server.store.RecordIds;
import eu.souverain.server.tenancy.Principal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the batch jobs of the store, a few at a time, each with a few lines in flight, every line
 * at background priority ({@link RequestOwner#inBackground}) so that interactive requests pass
 * first. Each line's result is committed as it comes ({@link BatchJobs#record}); a job taken up
 * again, after a restart or by another server once this one's lease ran out, runs only the lines
 * its files do not hold yet. A job asked to cancel, or past its timeout, stops its lines within
 * a poll and keeps what it finished.
 */
public final class BatchRunner implements AutoCloseable {

    /**
     * @param jobs       jobs run at once
     * @param linesInFlight lines of one job running at once
     * @param poll       how often the runner looks for jobs, and a running job at its status
     * @param lease      how long a job stays this runner's without news from it
     */
    public record Settings(int jobs, int linesInFlight, Duration poll, Duration lease) {
        public static final Settings DEFAULT = new Settings(2, 8, Duration.ofMillis(500), Duration.ofSeconds(10));
    }

    private static final Logger LOG = LoggerFactory.getLogger(BatchRunner.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Passes over a job's lines without a result before it fails. */
    private static final int MAX_PASSES = 3;

    private final BatchJobs store;
    private final LineCalls calls;
    private final Settings settings;
    private final String name = RecordIds.lowercase("runner_", 12);
    private final Set<String> running = ConcurrentHashMap.newKeySet();
    /** Jobs whose lines are stopping: a line cut off then is not a result. */
    private final Set<String> stopping = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean closed;

    private BatchRunner(BatchJobs store, LineCalls calls, Settings settings) {
        this.store = store;
        this.calls = calls;
        this.settings = settings;
        this.thread = Thread.ofPlatform().daemon().name("souverain-batch-jobs").unstarted(this::loop);
    }

    /** A runner of {@code store}'s jobs, looking for them from now on. */
    public static BatchRunner start(BatchJobs store, LineCalls calls, Settings settings) {
        BatchRunner runner = new BatchRunner(store, calls, settings);
        runner.thread.start();
        return runner;
    }

    /** Looks for jobs now rather than at the next poll: one was just made. */
    public void wake() {
        LockSupport.unpark(thread);
    }

    private void loop() {
        while (!closed) {
            try {
                for (String id : store.claimable(store.clock().millis())) {
                    if (running.size() >= settings.jobs() || closed) {
                        break;
                    }
                    if (!running.contains(id) && store.lease(id, name, leaseEnd())) {
                        running.add(id);
                        Thread.ofVirtual().name("souverain-batch-" + id).start(() -> {
                            try {
                                run(id);
                            } catch (RuntimeException e) {
                                LOG.error("batch job {} stopped on an error; it is taken up again later", id, e);
                            } finally {
                                running.remove(id);
                            }
                        });
                    }
                }
            } catch (RuntimeException e) {
                LOG.error("looking for batch jobs failed; trying again", e);
            }
            LockSupport.parkNanos(this, settings.poll().toNanos());
        }
    }

    private long leaseEnd() {
        return store.clock().millis() + settings.lease().toMillis();
    }

    /** Why a job's lines stop before they are all done. */
    private enum Stop { CANCELLED, TIMEOUT, CLOSED, LEASE_LOST, OWNER_GONE }

    private static final String OWNER_GONE = "the API key or user that made the job can no longer make requests"
            + " (revoked, expired, disabled or deleted)";

    private void run(String id) {
        BatchJobs.Job job = store.find(id).orElseThrow();
        if (job.status() == BatchJobs.Status.CANCELLATION_REQUESTED) {
            store.end(job, BatchJobs.Status.CANCELLED, null);
            return;
        }
        Optional<Principal> owner = store.ownerNow(job);
        if (owner.isEmpty()) {
            store.end(job, BatchJobs.Status.FAILED, OWNER_GONE);
            return;
        }
        Principal caller = owner.get();
        store.started(id);
        List<BatchLines.Line> lines;
        try {
            lines = BatchLines.parse(BatchLines.read(store.files(), job.organizationId(), job.inputFiles()), job);
        } catch (RuntimeException e) {
            // An input file deleted under the job, or no longer readable: the job cannot go on.
            store.end(job, BatchJobs.Status.FAILED, "the input files cannot be read: " + e.getMessage());
            return;
        }
        Stop stop = null;
        // A line whose result could not be written (the store failing under it) is run again, in
        // another pass; one that no pass could write fails the job rather than leave it short.
        for (int pass = 0; pass < MAX_PASSES && stop == null; pass++) {
            Set<Integer> missing = missing(job, lines.size());
            if (missing.isEmpty()) {
                break;
            }
            if (pass > 0) {
                LOG.warn("batch job {}: {} lines have no result yet; running them again", job.id(), missing.size());
            }
            stop = pass(job, caller, lines, missing);
        }
        if (stop == null && !missing(job, lines.size()).isEmpty()) {
            store.end(job, BatchJobs.Status.FAILED, "the results of some lines could not be written; see the server's log");
            return;
        }
        finish(job, stop);
    }

    private Set<Integer> missing(BatchJobs.Job job, int lines) {
        Set<Integer> done = new HashSet<>(store.files().parts(job.outputFile()));
        done.addAll(store.files().parts(job.errorFile()));
        Set<Integer> missing = new TreeSet<>();
        for (int i = 0; i < lines; i++) {
            if (!done.contains(i)) {
                missing.add(i);
            }
        }
        return missing;
    }

    /** Runs {@code indexes}' lines, a few at a time; returns why it stopped early, or null. */
    private Stop pass(BatchJobs.Job job, Principal caller, List<BatchLines.Line> lines, Set<Integer> indexes) {
        Semaphore places = new Semaphore(settings.linesInFlight());
        Set<Thread> inFlight = ConcurrentHashMap.newKeySet();
        Stop stop = null;
        long nextLook = System.nanoTime() + settings.poll().toNanos();
        for (int i : indexes) {
            while (stop == null && !places.tryAcquire()) {
                stop = look(job, inFlight);
                nextLook = System.nanoTime() + settings.poll().toNanos();
                waitFor(places, settings.poll());
            }
            if (stop == null && System.nanoTime() - nextLook > 0) {
                stop = look(job, inFlight);
                nextLook = System.nanoTime() + settings.poll().toNanos();
                if (stop != null) {
                    places.release();
                }
            }
            if (stop != null) {
                break;
            }
            int index = i;
            BatchLines.Line line = lines.get(i);
            Thread worker = Thread.ofVirtual().unstarted(() -> {
                try {
                    runLine(job, caller, index, line);
                } catch (RuntimeException | Error e) {
                    LOG.error("line {} of batch job {} has no result; it runs again in the next pass", index + 1,
                            job.id(), e);
                } finally {
                    inFlight.remove(Thread.currentThread());
                    places.release();
                }
            });
            inFlight.add(worker);
            worker.start();
        }
        // The last lines, or those still running when the job stopped.
        while (places.availablePermits() < settings.linesInFlight()) {
            Stop late = look(job, inFlight);
            stop = stop != null ? stop : late;
            waitFor(places, settings.poll());
        }
        return stop;
    }

    private static void waitFor(Semaphore places, Duration poll) {
        try {
            if (places.tryAcquire(poll.toMillis(), TimeUnit.MILLISECONDS)) {
                places.release();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Renews the lease and reads the job's status: whether its lines must stop, their threads interrupted if so. */
    private Stop look(BatchJobs.Job job, Set<Thread> inFlight) {
        Stop stop;
        if (closed) {
            stop = Stop.CLOSED;
        } else if (!store.lease(job.id(), name, leaseEnd())) {
            stop = Stop.LEASE_LOST;
        } else {
            BatchJobs.Job now = store.find(job.id()).orElseThrow();
            stop = now.status() == BatchJobs.Status.CANCELLATION_REQUESTED ? Stop.CANCELLED
                    : store.clock().instant().isAfter(job.expiresAt()) ? Stop.TIMEOUT
                    : store.ownerNow(job).isEmpty() ? Stop.OWNER_GONE : null;
        }
        if (stop != null) {
            stopping.add(job.id());
            inFlight.forEach(Thread::interrupt);
        }
        return stop;
    }

    private void finish(BatchJobs.Job job, Stop stop) {
        stopping.remove(job.id());
        if (stop == null) {
            store.end(job, BatchJobs.Status.SUCCESS, null);
        } else {
            switch (stop) {
                case CANCELLED -> store.end(job, BatchJobs.Status.CANCELLED, null);
                case TIMEOUT -> store.end(job, BatchJobs.Status.TIMEOUT_EXCEEDED, null);
                case OWNER_GONE -> store.end(job, BatchJobs.Status.FAILED, OWNER_GONE);
                // Stopping with the server: the job is let go, for the next start to take up at once.
                case CLOSED -> store.release(job.id(), name);
                case LEASE_LOST -> LOG.warn("batch job {} was taken over by another runner", job.id());
            }
        }
    }

    /** Runs one line and commits its result; a line cut off by a stop is left for whoever takes the job up. */
    private void runLine(BatchJobs.Job job, Principal caller, int index, BatchLines.Line line) {
        String requestId = job.id() + "-" + index;
        switch (line) {
            case BatchLines.Malformed m -> store.record(job, index, false,
                    jsonLine(requestId, m.customId(), null, "invalid_request", m.reason()));
            case BatchLines.Request r -> {
                while (true) {
                    try {
                        Map<String, Object> body = RequestOwner.inBackground(
                                () -> calls.run(caller, job.endpoint(), r.body()));
                        // An answer that came whole is kept, even while the job stops.
                        Map<String, Object> response = new LinkedHashMap<>();
                        response.put("status_code", 200);
                        response.put("request_id", requestId);
                        response.put("body", body);
                        store.record(job, index, true, jsonLine(requestId, r.customId(), response, null, null));
                        return;
                    } catch (LineFailure e) {
                        if (stopping.contains(job.id()) || closed) {
                            return;
                        }
                        if (e.retryAfterSeconds() > 0) {
                            try {
                                Thread.sleep(Duration.ofSeconds(Math.min(e.retryAfterSeconds(), 60)));
                            } catch (InterruptedException stopped) {
                                return;
                            }
                            continue;
                        }
                        Map<String, Object> response = new LinkedHashMap<>();
                        response.put("status_code", e.status());
                        response.put("request_id", requestId);
                        response.put("body", e.body());
                        store.record(job, index, false, jsonLine(requestId, r.customId(), response, e.code(),
                                e.getMessage()));
                        return;
                    } catch (RuntimeException e) {
                        if (stopping.contains(job.id()) || closed) {
                            return;
                        }
                        LOG.error("line {} of batch job {} failed", index + 1, job.id(), e);
                        store.record(job, index, false, jsonLine(requestId, r.customId(), null, "server_error",
                                "the line failed on the server: " + e.getClass().getSimpleName()));
                        return;
                    }
                }
            }
        }
    }

    /** A line of an output or error file, as both APIs write it. */
    private static byte[] jsonLine(String id, String customId, Map<String, Object> response, String code,
                                   String message) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("id", id);
        line.put("custom_id", customId);
        line.put("response", response);
        line.put("error", code == null ? null : Map.of("code", code, "message", message));
        try {
            return (JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a result line always writes as JSON", e);
        }
    }

    /**
     * Stops taking jobs and interrupts the lines running; the jobs are let go, to be taken up
     * where they were at the next start. Waits up to {@code grace} for them to let go.
     */
    public void close(Duration grace) {
        closed = true;
        LockSupport.unpark(thread);
        long deadline = System.nanoTime() + grace.toNanos();
        while (!running.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }
}

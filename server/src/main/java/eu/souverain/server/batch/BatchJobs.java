package eu.souverain.server.batch;

import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.files.StoredFiles;
import eu.souverain.server.store.Database;
import eu.souverain.server.store.RecordIds;
import eu.souverain.server.store.Metadata;
import eu.souverain.server.tenancy.ApiKeys;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.Role;
import eu.souverain.server.tenancy.Scope;
import eu.souverain.server.tenancy.TenancyException;
import eu.souverain.server.tenancy.Users;
import eu.souverain.server.vault.Vault;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Handle;

/**
 * Batch jobs, in the table {@code batch_jobs}: who asked, what runs, where it stands. The lines'
 * requests and results live in {@link StoredFiles}; a line's result and the job's counts are
 * written in one transaction ({@link #record}), so that what a job says it did is what its files
 * hold, whenever the server stops. A job is seen by the actor that made it and by its
 * organization's administrators; any other id answers as missing.
 */
public final class BatchJobs {

    /** The endpoints a job's lines may run on. */
    public static final Set<String> ENDPOINTS = Set.of("/v1/chat/completions", "/v1/completions", "/v1/fim/completions",
            "/v1/embeddings");
    /** Lines of one job, all input files together. */
    public static final int MAX_LINES = 50_000;
    /** Bytes of one line. */
    public static final int MAX_LINE_BYTES = 1 << 20;
    public static final int MAX_TIMEOUT_HOURS = 168;
    public static final int MAX_METADATA_ENTRIES = 16;

    private final Database database;
    private final StoredFiles files;
    private final Vault vault;
    private final AuditLog audit;
    private final Clock clock;

    public BatchJobs(Database database, StoredFiles files, Vault vault, AuditLog audit, Clock clock) {
        this.database = database;
        this.files = files;
        this.vault = vault;
        this.audit = audit;
        this.clock = clock;
    }

    public StoredFiles files() {
        return files;
    }

    Clock clock() {
        return clock;
    }

    /** The two APIs a job is made through: each names its statuses and writes its lines its own way. */
    public enum Api { MISTRAL, OPENAI }

    public enum Status {
        QUEUED, RUNNING, SUCCESS, FAILED, TIMEOUT_EXCEEDED, CANCELLATION_REQUESTED, CANCELLED;

        public boolean over() {
            return this == SUCCESS || this == FAILED || this == TIMEOUT_EXCEEDED || this == CANCELLED;
        }

        /** The status as OpenAI's Batch API names it. */
        public String openAi() {
            return switch (this) {
                case QUEUED -> "validating";
                case RUNNING -> "in_progress";
                case SUCCESS -> "completed";
                case FAILED -> "failed";
                case TIMEOUT_EXCEEDED -> "expired";
                case CANCELLATION_REQUESTED -> "cancelling";
                case CANCELLED -> "cancelled";
            };
        }
    }

    /** What a new job runs: its input files, or (Mistral) its requests inline as JSONL lines. */
    public record NewJob(Api api, String endpoint, String model, List<String> inputFiles, List<String> inlineLines,
                         Map<String, String> metadata, int timeoutHours) {
    }

    public record Job(String id, String organizationId, String ownerId, Principal owner, Api api, String endpoint,
                      String model, List<String> inputFiles, String outputFile, String errorFile,
                      Map<String, String> metadata, Status status, String error, int total, int succeeded, int failed,
                      int timeoutHours, Instant createdAt, Instant startedAt, Instant completedAt, Instant cancellingAt) {

        public int completed() {
            return succeeded + failed;
        }

        public Instant expiresAt() {
            return createdAt.plusSeconds(3600L * timeoutHours);
        }
    }

    /** The files owner a principal is: its organization's administrators see every file and job of it. */
    public static StoredFiles.Owner owner(Principal principal) {
        return new StoredFiles.Owner(principal.organizationId(), principal.actorId(), principal.has(Scope.ADMIN));
    }

    /**
     * Makes a job of {@code caller}'s, queued; its lines are counted now, so that a job of too many
     * is refused here. Audited "batch.create".
     */
    public Job create(Principal caller, NewJob spec, String clientIp) {
        if (!ENDPOINTS.contains(spec.endpoint())) {
            throw TenancyException.invalid("endpoint", "endpoint must be one of " + ENDPOINTS.stream().sorted().toList()
                    + ", was '" + spec.endpoint() + "'");
        }
        Scope needed = spec.endpoint().equals("/v1/embeddings") ? Scope.EMBEDDINGS : Scope.CHAT;
        if (!caller.has(needed)) {
            throw TenancyException.forbidden("a job on " + spec.endpoint() + " needs the scope '" + needed.wireName() + "'");
        }
        if (spec.timeoutHours() < 1 || spec.timeoutHours() > MAX_TIMEOUT_HOURS) {
            throw TenancyException.invalid("timeout_hours", "a job's timeout is 1 to " + MAX_TIMEOUT_HOURS
                    + " hours, was " + spec.timeoutHours());
        }
        if (spec.metadata().size() > MAX_METADATA_ENTRIES) {
            throw TenancyException.invalid("metadata", "metadata holds at most " + MAX_METADATA_ENTRIES + " entries");
        }
        StoredFiles.Owner owner = owner(caller);
        List<String> inputs = new ArrayList<>();
        if (spec.inlineLines() != null) {
            if (spec.inputFiles() != null && !spec.inputFiles().isEmpty()) {
                throw TenancyException.invalid("requests", "give either input_files or requests, not both");
            }
            byte[] content = String.join("\n", spec.inlineLines()).concat("\n").getBytes(StandardCharsets.UTF_8);
            inputs.add(files.upload(owner, "batch", "inline", "requests.jsonl", content, clientIp).id());
        } else {
            if (spec.inputFiles() == null || spec.inputFiles().isEmpty()) {
                throw TenancyException.invalid("input_files", "a job needs input files or requests");
            }
            for (String id : spec.inputFiles()) {
                StoredFiles.StoredFile file = files.get(owner, id, clientIp);
                if (!file.purpose().equals("batch")) {
                    throw TenancyException.invalid("input_files", "file " + id + " was uploaded for '" + file.purpose()
                            + "', not 'batch'");
                }
                inputs.add(id);
            }
        }
        int total = BatchLines.read(files, caller.organizationId(), inputs).size();
        if (total > MAX_LINES) {
            throw TenancyException.invalid("input_files", "a job has at most " + MAX_LINES + " lines; these files have "
                    + total);
        }
        if (total == 0) {
            throw TenancyException.invalid("input_files", "the input has no request lines");
        }
        String id = RecordIds.lowercase("batch_", 24);
        StoredFiles.StoredFile output = files.create(owner, "batch", "output", id + "_output.jsonl");
        StoredFiles.StoredFile errors = files.create(owner, "batch", "error", id + "_error.jsonl");
        byte[] metadata = spec.metadata().isEmpty() ? null : vault.encrypt(caller.organizationId(), null,
                id + "/metadata", Metadata.json(spec.metadata()).getBytes(StandardCharsets.UTF_8));
        long now = clock.millis();
        database.useTransaction(h -> {
            h.createUpdate("""
                            INSERT INTO batch_jobs (id, organization_id, owner_id, owner_role, owner_scopes, api, endpoint,
                                model, input_file_id, output_file_id, error_file_id, metadata, status, total, succeeded,
                                failed, timeout_hours, created_at)
                            VALUES (:id, :org, :owner, :role, :scopes, :api, :endpoint, :model, :inputs, :output, :errors,
                                :metadata, 'QUEUED', :total, 0, 0, :timeout, :now)""")
                    .bind("id", id).bind("org", caller.organizationId()).bind("owner", caller.actorId())
                    .bind("role", caller.role() == null ? null : caller.role().wireName())
                    .bind("scopes", Scope.join(caller.scopes())).bind("api", spec.api().name())
                    .bind("endpoint", spec.endpoint()).bind("model", spec.model()).bind("inputs", String.join(",", inputs))
                    .bind("output", output.id()).bind("errors", errors.id()).bind("metadata", metadata)
                    .bind("total", total).bind("timeout", spec.timeoutHours()).bind("now", now).execute();
            audit.append(h, AuditEvent.of(caller.organizationId(), caller.actorId(), "batch.create",
                    id + " (" + total + " lines on " + spec.endpoint() + ")", clientIp, AuditEvent.Outcome.SUCCESS));
        });
        return find(id).orElseThrow();
    }

    /** Filters of a job list; null fields filter nothing. */
    public record Filter(Set<Status> statuses, String model, Instant createdAfter, boolean createdByMe,
                         Map<String, String> metadata) {
        public static final Filter NONE = new Filter(null, null, null, false, null);
    }

    /** The jobs {@code caller} may see that pass {@code filter}, newest first. */
    public List<Job> list(Principal caller, Filter filter) {
        StoredFiles.Owner owner = owner(caller);
        boolean mine = !owner.administrator() || filter.createdByMe();
        List<Job> jobs = database.jdbi().withHandle(h -> h.createQuery("SELECT * FROM batch_jobs WHERE organization_id = :org"
                        + (mine ? " AND owner_id = :owner" : "")
                        + (filter.model() == null ? "" : " AND model = :model")
                        + (filter.createdAfter() == null ? "" : " AND created_at > :after")
                        + " ORDER BY created_at DESC, id DESC")
                .bind("org", caller.organizationId()).bind("owner", caller.actorId())
                .bind("model", filter.model())
                .bind("after", filter.createdAfter() == null ? null : filter.createdAfter().toEpochMilli())
                .map((rs, ctx) -> job(rs)).list());
        // Metadata is ciphertext: that filter runs on it decrypted, here.
        return jobs.stream()
                .filter(j -> filter.statuses() == null || filter.statuses().isEmpty() || filter.statuses().contains(j.status()))
                .filter(j -> filter.metadata() == null || j.metadata().entrySet().containsAll(filter.metadata().entrySet()))
                .toList();
    }

    /** Job {@code id} as {@code caller} may see it; else the "not found" of a missing id. */
    public Job get(Principal caller, String id, String clientIp) {
        StoredFiles.Owner owner = owner(caller);
        Optional<Job> found = find(id).filter(j -> j.organizationId().equals(caller.organizationId())
                && (owner.administrator() || j.ownerId().equals(caller.actorId())));
        if (found.isEmpty()) {
            audit.append(AuditEvent.of(caller.organizationId(), caller.actorId(), "batch.read", id, clientIp,
                    AuditEvent.Outcome.DENIED));
            throw TenancyException.notFound("batch job", id);
        }
        return found.get();
    }

    /**
     * Asks job {@code id} to stop: a queued or running job becomes CANCELLATION_REQUESTED, and its
     * runner stops it, keeping the lines it finished; audited "batch.cancel". A job that is over
     * stays as it is.
     */
    public Job cancel(Principal caller, String id, String clientIp) {
        get(caller, id, clientIp);
        long now = clock.millis();
        database.useTransaction(h -> {
            h.createUpdate("""
                            UPDATE batch_jobs SET status = 'CANCELLATION_REQUESTED', cancelling_at = :now
                            WHERE id = :id AND status IN ('QUEUED', 'RUNNING')""")
                    .bind("now", now).bind("id", id).execute();
            audit.append(h, AuditEvent.of(caller.organizationId(), caller.actorId(), "batch.cancel", id, clientIp,
                    AuditEvent.Outcome.SUCCESS));
        });
        return find(id).orElseThrow();
    }

    /**
     * The job's owner as it stands now, with its present rights: empty once its API key is revoked
     * or expired, or its user disabled or deleted; a job runs no line for an owner who may no
     * longer make requests.
     */
    Optional<Principal> ownerNow(Job job) {
        long now = clock.millis();
        return database.jdbi().withHandle(h -> job.owner().isUser()
                ? Users.byId(h, job.ownerId()).filter(u -> !u.disabled() && u.organizationId().equals(job.organizationId()))
                        .map(u -> new Principal(u.organizationId(), u.id(), u.role(), u.role().scopes()))
                : ApiKeys.byId(h, job.ownerId()).filter(k -> k.revokedAt() == null
                                && (k.expiresAt() == null || k.expiresAt().toEpochMilli() > now)
                                && k.organizationId().equals(job.organizationId()))
                        .map(k -> new Principal(k.organizationId(), k.id(), null, k.scopes())));
    }

    public Optional<Job> find(String id) {
        return database.jdbi().withHandle(h -> h.createQuery("SELECT * FROM batch_jobs WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> job(rs)).findOne());
    }

    /** Ids of the jobs not over whose lease is free or ran out, oldest first: the ones a runner may take. */
    List<String> claimable(long now) {
        return database.jdbi().withHandle(h -> h.createQuery("""
                        SELECT id FROM batch_jobs WHERE status IN ('QUEUED', 'RUNNING', 'CANCELLATION_REQUESTED')
                            AND (lease_until IS NULL OR lease_until < :now) ORDER BY created_at, id""")
                .bind("now", now).mapTo(String.class).list());
    }

    /** Takes (or keeps) job {@code id} for {@code runner} until {@code until}; false when another runner holds it. */
    boolean lease(String id, String runner, long until) {
        long now = clock.millis();
        return database.inTransaction(h -> h.createUpdate("""
                        UPDATE batch_jobs SET runner = :runner, lease_until = :until
                        WHERE id = :id AND (runner = :runner OR lease_until IS NULL OR lease_until < :now)""")
                .bind("runner", runner).bind("until", until).bind("id", id).bind("now", now).execute()) == 1;
    }

    /** Lets job {@code id} go, for any runner to take at once (a server stopping mid-job). */
    void release(String id, String runner) {
        database.useTransaction(h -> h.createUpdate(
                        "UPDATE batch_jobs SET runner = NULL, lease_until = NULL WHERE id = :id AND runner = :runner")
                .bind("id", id).bind("runner", runner).execute());
    }

    void started(String id) {
        database.useTransaction(h -> h.createUpdate(
                        "UPDATE batch_jobs SET status = 'RUNNING', started_at = :now WHERE id = :id AND status = 'QUEUED'")
                .bind("now", clock.millis()).bind("id", id).execute());
    }

    /** Ends job {@code id} with {@code status} (and {@code error} for a failed one); audited "batch.end". */
    void end(Job job, Status status, String error) {
        database.useTransaction(h -> h.createUpdate("""
                        UPDATE batch_jobs SET status = :status, error = :error, completed_at = :now, runner = NULL,
                            lease_until = NULL WHERE id = :id""")
                .bind("status", status.name()).bind("error", error).bind("now", clock.millis()).bind("id", job.id())
                .execute());
        // Read outside the transaction: the job's metadata is opened by the vault, which reads on its own.
        Job now = find(job.id()).orElseThrow();
        audit.append(AuditEvent.of(job.organizationId(), job.ownerId(), "batch.end", job.id() + " " + status
                        + " (" + now.succeeded() + " succeeded, " + now.failed() + " failed of " + now.total() + ")",
                null, status == Status.FAILED ? AuditEvent.Outcome.FAILURE : AuditEvent.Outcome.SUCCESS));
    }

    /**
     * Writes line {@code line}'s result into the job's output file (or, failed, its error file) and
     * counts it, in one transaction; a line already written is neither written nor counted again.
     */
    boolean record(Job job, int line, boolean succeeded, byte[] result) {
        String file = succeeded ? job.outputFile() : job.errorFile();
        // Sealed before the transaction: the vault may read (or make) the data key on a connection of its own.
        StoredFiles.SealedPart sealed = files.seal(job.organizationId(), file, line, result);
        return database.inTransaction(h -> {
            // A line is in one of the two files at most: a retry that now fails or succeeds is not a second answer.
            String other = succeeded ? job.errorFile() : job.outputFile();
            boolean already = h.createQuery("SELECT COUNT(*) FROM file_parts WHERE file_id = :id AND part = :part")
                    .bind("id", other).bind("part", line).mapTo(Integer.class).one() > 0;
            if (already || !files.appendPart(h, sealed)) {
                return false;
            }
            h.createUpdate("UPDATE batch_jobs SET " + (succeeded ? "succeeded = succeeded + 1" : "failed = failed + 1")
                    + " WHERE id = :id").bind("id", job.id()).execute();
            return true;
        });
    }

    /**
     * Deletes, in {@code h}'s transaction, the jobs of {@code organizationId} made by {@code
     * ownerId} (all of them when null) and, with {@code before}, made before that time and over.
     */
    public static int delete(Handle h, String organizationId, String ownerId, Long before) {
        return h.createUpdate("DELETE FROM batch_jobs WHERE organization_id = :org"
                        + (ownerId == null ? "" : " AND owner_id = :owner")
                        + (before == null ? "" : " AND created_at < :before AND status IN ('SUCCESS', 'FAILED',"
                        + " 'TIMEOUT_EXCEEDED', 'CANCELLED')"))
                .bind("org", organizationId).bind("owner", ownerId).bind("before", before).execute();
    }

    /** Every job of {@code organizationId} made by {@code ownerId} (every one when null), for an export. */
    public List<Job> all(String organizationId, String ownerId) {
        return database.jdbi().withHandle(h -> h.createQuery("SELECT * FROM batch_jobs WHERE organization_id = :org"
                        + (ownerId == null ? "" : " AND owner_id = :owner") + " ORDER BY created_at, id")
                .bind("org", organizationId).bind("owner", ownerId).map((rs, ctx) -> job(rs)).list());
    }

    private Job job(ResultSet rs) throws SQLException {
        String id = rs.getString("id");
        String org = rs.getString("organization_id");
        byte[] sealed = rs.getBytes("metadata");
        Map<String, String> metadata = sealed == null ? Map.of()
                : Metadata.read(new String(vault.decrypt(org, null, id + "/metadata", sealed), StandardCharsets.UTF_8));
        String role = rs.getString("owner_role");
        Principal owner = new Principal(org, rs.getString("owner_id"), role == null ? null : Role.parse(role),
                Scope.parseList(rs.getString("owner_scopes")));
        return new Job(id, org, rs.getString("owner_id"), owner, Api.valueOf(rs.getString("api")),
                rs.getString("endpoint"), rs.getString("model"), Arrays.asList(rs.getString("input_file_id").split(",")),
                rs.getString("output_file_id"), rs.getString("error_file_id"), metadata,
                Status.valueOf(rs.getString("status")), rs.getString("error"), rs.getInt("total"), rs.getInt("succeeded"),
                rs.getInt("failed"), rs.getInt("timeout_hours"), instant(rs, "created_at"), instant(rs, "started_at"),
                instant(rs, "completed_at"), instant(rs, "cancelling_at"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        long millis = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(millis);
    }
}

package eu.souverain.server.privacy;

import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.batch.BatchJobs;
import eu.souverain.server.conversations.Conversations;
import eu.souverain.server.files.StoredFiles;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.TenancyException;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How long each organization keeps its stored messages (table {@code retention_policies}: days;
 * no row, kept until erased), and the purge that enforces it: messages older than that many days
 * are deleted, and conversations left untouched as long with them, and so are files and finished
 * batch jobs made before then. Each purge is audited, one
 * entry per organization with a policy, naming what it deleted.
 */
public final class Retention {

    public static final int MAX_DAYS = 36_500;
    private static final Logger LOG = LoggerFactory.getLogger(Retention.class);

    private final Database database;
    private final AuditLog audit;
    private final Clock clock;

    public Retention(Database database, AuditLog audit, Clock clock) {
        this.database = database;
        this.audit = audit;
        this.clock = clock;
    }

    /** The organization's retention in days; empty: kept until erased. */
    public Optional<Integer> days(String organizationId) {
        return database.jdbi().withHandle(h -> h.createQuery(
                        "SELECT days FROM retention_policies WHERE organization_id = :org")
                .bind("org", organizationId).mapTo(Integer.class).findOne());
    }

    /** Sets (or with null, removes) the organization's retention; audited "retention.update". */
    public void set(String organizationId, Integer days, Actor actor) {
        if (days != null && (days < 1 || days > MAX_DAYS)) {
            throw TenancyException.invalid("days", "retention is between 1 and " + MAX_DAYS + " days, or null to keep"
                    + " messages until they are erased; was " + days);
        }
        database.useTransaction(h -> {
            if (days == null) {
                h.createUpdate("DELETE FROM retention_policies WHERE organization_id = :org")
                        .bind("org", organizationId).execute();
            } else {
                h.createUpdate("""
                                INSERT INTO retention_policies (organization_id, days, updated_at) VALUES (:org, :days, :now)
                                ON CONFLICT (organization_id) DO UPDATE SET days = :days, updated_at = :now""")
                        .bind("org", organizationId).bind("days", days).bind("now", clock.millis()).execute();
            }
            audit.append(h, AuditEvent.of(organizationId, actor.id(), "retention.update",
                    days == null ? "keep" : days + " days", actor.clientIp(), AuditEvent.Outcome.SUCCESS));
        });
    }

    /** What one purge deleted in one organization. */
    public record Purged(String organizationId, int messages, int conversations, int files, int batchJobs) {
    }

    /** Each organization's retention in days; empty when the store has no retention table. */
    public static Optional<Map<String, Integer>> policies(Handle h) {
        if (!Database.hasTable(h, "retention_policies")) {
            return Optional.empty();
        }
        Map<String, Integer> days = new LinkedHashMap<>();
        h.createQuery("SELECT organization_id, days FROM retention_policies")
                .map((rs, ctx) -> Map.entry(rs.getString("organization_id"), rs.getInt("days")))
                .forEach(e -> days.put(e.getKey(), e.getValue()));
        return Optional.of(days);
    }

    /** Deletes what every organization's policy no longer keeps, as of the clock's now. */
    public List<Purged> purge() {
        long now = clock.millis();
        record Policy(String organizationId, int days) {
        }
        List<Policy> policies = database.jdbi().withHandle(h -> h.createQuery(
                        "SELECT organization_id, days FROM retention_policies ORDER BY organization_id")
                .map((rs, ctx) -> new Policy(rs.getString("organization_id"), rs.getInt("days"))).list());
        return policies.stream().map(p -> database.inTransaction(h -> {
            long cutoff = now - Duration.ofDays(p.days()).toMillis();
            Conversations.Deleted deleted = Conversations.deleteOlderThan(h, p.organizationId(), cutoff);
            int messages = deleted.messages();
            int conversations = deleted.conversations();
            int jobs = BatchJobs.delete(h, p.organizationId(), null, cutoff);
            int files = StoredFiles.delete(h, p.organizationId(), null, cutoff);
            audit.append(h, AuditEvent.of(p.organizationId(), Actor.SYSTEM.id(), "retention.purge",
                    messages + " messages, " + conversations + " conversations, " + files + " files, " + jobs
                            + " batch jobs older than " + p.days() + " days", null, AuditEvent.Outcome.SUCCESS));
            return new Purged(p.organizationId(), messages, conversations, files, jobs);
        })).toList();
    }

    /** Runs {@link #purge} now and then every {@code interval} on a daemon thread; close the executor to stop. */
    public ScheduledExecutorService schedule(Duration interval) {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "souverain-retention");
            thread.setDaemon(true);
            return thread;
        });
        executor.scheduleWithFixedDelay(() -> {
            try {
                purge();
            } catch (RuntimeException e) {
                // The next run tries again; an exception here would stop the schedule for good.
                LOG.error("retention purge failed", e);
            }
        }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return executor;
    }
}

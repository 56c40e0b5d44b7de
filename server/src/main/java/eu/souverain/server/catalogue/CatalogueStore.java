package eu.souverain.server.catalogue;

import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.store.Database;
import eu.souverain.server.vault.Vault;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The catalogue tables: jobs, and the fields each wrote (or proposed), one row committed as each
 * product's write completes, with the audit entries that say its texts are AI-generated. What is
 * in these rows is what a restarted job skips.
 */
public final class CatalogueStore {

    /** A field a job wrote or proposed; before and after are Vault ciphertexts, or null. */
    public record FieldRow(int productId, int languageId, String language, ShopField field, String sha256,
                           boolean written, byte[] before, byte[] after, String provenance) {

        String key() {
            return key(productId, languageId, field);
        }

        static String key(int productId, int languageId, ShopField field) {
            return productId + "/" + languageId + "/" + field.wireName();
        }
    }

    private final Database database;
    private final AuditLog audit;
    private final Vault vault;
    private final Clock clock;

    public CatalogueStore(Database database, AuditLog audit, Vault vault, Clock clock) {
        this.database = database;
        this.audit = audit;
        this.vault = vault;
        this.clock = clock;
    }

    /** {@code text} encrypted under the organization's data key, bound to {@code record}. */
    byte[] encrypt(String organizationId, String record, byte[] text) {
        return vault.encrypt(organizationId, null, record, text);
    }

    byte[] decrypt(String organizationId, String record, byte[] ciphertext) {
        return vault.decrypt(organizationId, null, record, ciphertext);
    }

    public AuditLog audit() {
        return audit;
    }

    public Clock clock() {
        return clock;
    }

    /** The job {@code id}, made QUEUED with these settings unless it exists already; audited when made. */
    public CatalogueJob open(String id, String organizationId, String createdBy, String clientIp,
                             EnrichmentSettings settings, byte[] encryptedKey) {
        return database.inTransaction(h -> {
            Optional<CatalogueJob> existing = find(h, organizationId, id);
            if (existing.isPresent()) {
                return existing.get();
            }
            long now = clock.millis();
            h.createUpdate("""
                            INSERT INTO catalogue_jobs (id, organization_id, created_by, status, shop_url, shop_key, settings,
                                created_at, updated_at)
                            VALUES (:id, :org, :by, 'QUEUED', :shop, :key, :settings, :now, :now)""")
                    .bind("id", id).bind("org", organizationId).bind("by", createdBy)
                    .bind("shop", settings.shopUrl()).bind("key", encryptedKey).bind("settings", settings.jsonText())
                    .bind("now", now).execute();
            audit.append(h, AuditEvent.of(organizationId, createdBy, "catalogue.job.create", id + " "
                    + settings.shopUrl(), clientIp, AuditEvent.Outcome.SUCCESS));
            return find(h, organizationId, id).orElseThrow();
        });
    }

    public Optional<CatalogueJob> find(String organizationId, String id) {
        return database.jdbi().withHandle(h -> find(h, organizationId, id));
    }

    private Optional<CatalogueJob> find(org.jdbi.v3.core.Handle h, String organizationId, String id) {
        return h.createQuery("SELECT * FROM catalogue_jobs WHERE id = :id AND organization_id = :org")
                .bind("id", id).bind("org", organizationId).map((rs, ctx) -> job(rs)).findOne();
    }

    /** An organization's jobs, newest first. */
    public List<CatalogueJob> list(String organizationId, int limit) {
        return database.jdbi().withHandle(h -> h.createQuery("""
                        SELECT * FROM catalogue_jobs WHERE organization_id = :org ORDER BY created_at DESC, id LIMIT :limit""")
                .bind("org", organizationId).bind("limit", limit).map((rs, ctx) -> job(rs)).list());
    }

    /** The jobs of every organization that a stopped server left queued or running, with their encrypted keys. */
    public List<CatalogueJob> unfinished() {
        return database.jdbi().withHandle(h -> h.createQuery("""
                        SELECT * FROM catalogue_jobs WHERE status IN ('QUEUED', 'RUNNING') AND shop_key IS NOT NULL
                        ORDER BY created_at""").map((rs, ctx) -> job(rs)).list());
    }

    /** The encrypted key an API job keeps until it finishes. */
    public Optional<byte[]> encryptedKey(String jobId) {
        return database.jdbi().withHandle(h -> h.createQuery("SELECT shop_key FROM catalogue_jobs WHERE id = :id")
                .bind("id", jobId).map((rs, ctx) -> rs.getBytes(1)).findOne());
    }

    /** The fields (keys "product/language/field") the job has committed. */
    Set<String> committed(String jobId) {
        return database.jdbi().withHandle(h -> new HashSet<>(h.createQuery("""
                        SELECT product_id, language_id, field FROM catalogue_fields WHERE job_id = :job""")
                .bind("job", jobId)
                .map((rs, ctx) -> rs.getLong(1) + "/" + rs.getLong(2) + "/" + rs.getString(3)).list()));
    }

    /** The products a job has fields of, ascending. */
    List<Integer> productIds(String jobId) {
        return database.jdbi().withHandle(h -> h.createQuery(
                        "SELECT DISTINCT product_id FROM catalogue_fields WHERE job_id = :job ORDER BY product_id")
                .bind("job", jobId).map((rs, ctx) -> (int) rs.getLong(1)).list());
    }

    /** A product's fields in a job: the proposals a reviewed dry run made for it. */
    List<FieldRow> fieldsOf(String jobId, int productId) {
        return database.jdbi().withHandle(h -> h.createQuery("""
                        SELECT * FROM catalogue_fields WHERE job_id = :job AND product_id = :product""")
                .bind("job", jobId).bind("product", productId)
                .map((rs, ctx) -> new FieldRow((int) rs.getLong("product_id"), (int) rs.getLong("language_id"),
                        rs.getString("language"), ShopField.of(rs.getString("field")), rs.getString("text_sha256"),
                        rs.getLong("written") == 1, rs.getBytes("before_text"), rs.getBytes("after_text"),
                        rs.getString("provenance")))
                .list());
    }

    /** The job's fields, in product, language and field order: a dry run's review. */
    public List<FieldRow> fields(String jobId, int limit, int offset) {
        return database.jdbi().withHandle(h -> h.createQuery("""
                        SELECT * FROM catalogue_fields WHERE job_id = :job ORDER BY product_id, language_id, field
                        LIMIT :limit OFFSET :offset""")
                .bind("job", jobId).bind("limit", limit).bind("offset", offset)
                .map((rs, ctx) -> new FieldRow((int) rs.getLong("product_id"), (int) rs.getLong("language_id"),
                        rs.getString("language"),
                        ShopField.of(rs.getString("field")), rs.getString("text_sha256"), rs.getLong("written") == 1,
                        rs.getBytes("before_text"), rs.getBytes("after_text"), rs.getString("provenance")))
                .list());
    }

    /** Records in the audit log that these texts are AI-generated. */
    void generated(List<AuditEvent> events) {
        database.useTransaction(h -> events.forEach(event -> audit.append(h, event)));
    }

    /** Commits a product's fields, written or proposed, in one transaction. */
    void commit(String jobId, List<FieldRow> rows) {
        long now = clock.millis();
        database.useTransaction(h -> {
            for (FieldRow row : rows) {
                h.createUpdate("""
                                INSERT INTO catalogue_fields (job_id, product_id, language, language_id, field, text_sha256, written,
                                    before_text, after_text, provenance, at)
                                VALUES (:job, :product, :iso, :language, :field, :sha, :written, :before, :after, :provenance, :at)""")
                        .bind("job", jobId).bind("product", row.productId()).bind("iso", row.language()).bind("language", row.languageId())
                        .bind("field", row.field().wireName()).bind("sha", row.sha256()).bind("written", row.written() ? 1 : 0)
                        .bind("before", row.before()).bind("after", row.after()).bind("provenance", row.provenance())
                        .bind("at", now).execute();
            }
            h.createUpdate("UPDATE catalogue_jobs SET written = written + :n, updated_at = :now WHERE id = :job")
                    .bind("n", rows.size()).bind("now", now).bind("job", jobId).execute();
        });
    }

    /** The job runs (again): its counts of this run start over, its committed fields stay counted. */
    void running(String jobId, long totalProducts) {
        database.useTransaction(h -> h.createUpdate("""
                        UPDATE catalogue_jobs SET status = 'RUNNING', total = :total, done = 0, skipped = 0, failed = 0,
                            error = NULL, finished_at = NULL, updated_at = :now,
                            written = (SELECT COUNT(*) FROM catalogue_fields WHERE job_id = :job)
                        WHERE id = :job""")
                .bind("total", totalProducts).bind("now", clock.millis()).bind("job", jobId).execute());
    }

    void progress(String jobId, long done, long skipped, long failed) {
        database.useTransaction(h -> h.createUpdate("""
                        UPDATE catalogue_jobs SET done = :done, skipped = :skipped, failed = :failed, updated_at = :now
                        WHERE id = :job""")
                .bind("done", done).bind("skipped", skipped).bind("failed", failed).bind("now", clock.millis())
                .bind("job", jobId).execute());
    }

    /** The job ended: its key is dropped, for nothing will use it again. */
    void finish(String jobId, CatalogueJob.Status status, String error) {
        long now = clock.millis();
        database.useTransaction(h -> h.createUpdate("""
                        UPDATE catalogue_jobs SET status = :status, error = :error, shop_key = NULL, finished_at = :now,
                            updated_at = :now WHERE id = :job""")
                .bind("status", status.name()).bind("error", error).bind("now", now).bind("job", jobId).execute());
    }

    private static CatalogueJob job(ResultSet rs) throws SQLException {
        long finished = rs.getLong("finished_at");
        boolean notFinished = rs.wasNull();
        return new CatalogueJob(rs.getString("id"), rs.getString("organization_id"), rs.getString("created_by"),
                CatalogueJob.Status.valueOf(rs.getString("status")), rs.getString("shop_url"),
                EnrichmentSettings.fromJson(rs.getString("settings")), rs.getLong("total"), rs.getLong("done"),
                rs.getLong("written"), rs.getLong("skipped"), rs.getLong("failed"), rs.getString("error"),
                rs.getLong("created_at"), rs.getLong("updated_at"), notFinished ? null : finished);
    }
}

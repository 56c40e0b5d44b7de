package eu.souverain.server.catalogue;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A catalogue job as stored: its settings, status and counts. Products count the job's progress;
 * fields count what it wrote (or proposed, in a dry run), left alone because they were filled,
 * or could not do.
 */
public record CatalogueJob(String id, String organizationId, String createdBy, Status status, String shopUrl,
                           EnrichmentSettings settings, long totalProducts, long doneProducts, long written,
                           long skipped, long failed, String error, long createdAt, long updatedAt, Long finishedAt) {

    public enum Status {
        QUEUED, RUNNING, SUCCEEDED, FAILED;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The job as the API shows it. */
    public Map<String, Object> json() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", id);
        json.put("object", "catalogue.job");
        json.put("status", status.wireName());
        json.put("settings", settings.json());
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("products_total", totalProducts);
        counts.put("products_done", doneProducts);
        counts.put(settings.dryRun() ? "fields_proposed" : "fields_written", written);
        counts.put("fields_skipped", skipped);
        counts.put("fields_failed", failed);
        json.put("counts", counts);
        json.put("error", error);
        json.put("created_by", createdBy);
        json.put("created_at", createdAt / 1000);
        json.put("updated_at", updatedAt / 1000);
        json.put("finished_at", finishedAt == null ? null : finishedAt / 1000);
        return json;
    }
}

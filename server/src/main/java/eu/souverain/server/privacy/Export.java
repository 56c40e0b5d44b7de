package eu.souverain.server.privacy;

import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.batch.BatchJobs;
import eu.souverain.server.conversations.Conversations;
import eu.souverain.server.files.StoredFiles;
import java.nio.charset.StandardCharsets;
import eu.souverain.server.tenancy.Actor;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A user's or an organization's stored conversations, files (their content as text) and batch
 * jobs, decrypted, as one JSON document (data portability). Each export is audited "privacy.export".
 */
public final class Export {

    public static final String FORMAT = "souverain.export.v1";

    private final Conversations conversations;
    private final StoredFiles files;
    private final BatchJobs batchJobs;
    private final AuditLog audit;
    private final Clock clock;

    public Export(Conversations conversations, StoredFiles files, BatchJobs batchJobs, AuditLog audit, Clock clock) {
        this.conversations = conversations;
        this.files = files;
        this.batchJobs = batchJobs;
        this.audit = audit;
        this.clock = clock;
    }

    /** The conversations of {@code ownerId} in {@code organizationId}, or with a null owner every one of the organization. */
    public Map<String, Object> of(String organizationId, String ownerId, Actor actor) {
        List<Conversations.Conversation> all = conversations.all(organizationId, ownerId);
        audit.append(AuditEvent.of(organizationId, actor.id(), "privacy.export",
                ownerId == null ? organizationId : ownerId, actor.clientIp(), AuditEvent.Outcome.SUCCESS));
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("format", FORMAT);
        document.put("exported_at", Instant.ofEpochMilli(clock.millis()).toString());
        document.put("organization", organizationId);
        if (ownerId != null) {
            document.put("owner", ownerId);
        }
        document.put("conversations", all.stream().map(Export::json).toList());
        document.put("files", files.all(organizationId, ownerId).stream().map(Export::json).toList());
        document.put("batch_jobs", batchJobs.all(organizationId, ownerId).stream().map(Export::json).toList());
        return document;
    }

    /** A conversation as the API and the export write it; with its messages when it was read with them. */
    public static Map<String, Object> json(Conversations.Conversation c) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", c.id());
        json.put("object", "conversation");
        json.put("owner", c.ownerId());
        json.put("title", c.title());
        json.put("system_prompt", c.systemPrompt());
        json.put("model", c.model());
        json.put("temperature", c.temperature());
        json.put("metadata", c.metadata());
        json.put("created_at", c.createdAt().getEpochSecond());
        json.put("updated_at", c.updatedAt().getEpochSecond());
        List<Map<String, Object>> messages = new ArrayList<>();
        for (Conversations.Message m : c.messages()) {
            messages.add(json(m));
        }
        json.put("messages", messages);
        return json;
    }

    private static Map<String, Object> json(StoredFiles.Exported exported) {
        StoredFiles.StoredFile f = exported.file();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", f.id());
        json.put("owner", f.ownerId());
        json.put("filename", f.filename());
        json.put("purpose", f.purpose());
        json.put("source", f.source());
        json.put("bytes", f.bytes());
        json.put("created_at", f.createdAt().getEpochSecond());
        json.put("content", new String(exported.content(), StandardCharsets.UTF_8));
        return json;
    }

    private static Map<String, Object> json(BatchJobs.Job j) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", j.id());
        json.put("owner", j.ownerId());
        json.put("endpoint", j.endpoint());
        json.put("model", j.model());
        json.put("status", j.status().name());
        json.put("input_files", j.inputFiles());
        json.put("output_file", j.outputFile());
        json.put("error_file", j.errorFile());
        json.put("metadata", j.metadata());
        json.put("total_requests", j.total());
        json.put("succeeded_requests", j.succeeded());
        json.put("failed_requests", j.failed());
        json.put("created_at", j.createdAt().getEpochSecond());
        return json;
    }

    public static Map<String, Object> json(Conversations.Message m) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", m.id());
        json.put("role", m.role());
        json.put("content", m.content());
        json.put("created_at", m.createdAt().getEpochSecond());
        if (m.interrupted()) {
            json.put("interrupted", true);
        }
        if (m.answer() != null) {
            json.put("model", m.answer().model());
            json.put("backend", m.answer().backend());
            json.put("backend_location", m.answer().backendLocation());
            json.put("usage", Map.of("prompt_tokens", m.answer().promptTokens(),
                    "completion_tokens", m.answer().completionTokens()));
            if (m.answer().provenance() != null) {
                json.put("provenance", m.answer().provenance().json());
            }
            if (!m.answer().references().isEmpty()) {
                json.put("references", m.answer().references());
            }
        }
        return json;
    }
}

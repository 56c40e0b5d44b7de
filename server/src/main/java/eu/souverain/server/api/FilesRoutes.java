package eu.souverain.server.api;

import eu.souverain.server.batch.BatchJobs;
import eu.souverain.server.files.StoredFiles;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Files API, in Mistral's shapes, which OpenAI's clients read too: upload (multipart, with a
 * {@code file} and its {@code purpose}), list, read, download and delete. An upload is held to
 * the server's body limit; a file of another organization or member answers 404 like a missing one.
 */
final class FilesRoutes {

    private final StoredFiles files;
    private final RequestBodies bodies;

    FilesRoutes(StoredFiles files, RequestBodies bodies) {
        this.files = files;
        this.bodies = bodies;
    }

    /** POST /v1/files. */
    void upload(Context ctx) throws IOException {
        String type = ctx.contentType();
        if (type == null || !type.toLowerCase().startsWith("multipart/form-data")) {
            throw ApiError.invalid("file", "upload a file as multipart/form-data, with the fields 'file' and 'purpose'");
        }
        Multipart form = Multipart.parse(type, bodies.read(ctx));
        Multipart.Part file = form.get("file");
        if (file == null || file.filename() == null) {
            throw ApiError.schema("missing_field", "file", "'file' is required: the file's part of the form, with its name");
        }
        Multipart.Part purpose = form.get("purpose");
        String purposeName = purpose == null ? "batch" : new String(purpose.content(), StandardCharsets.UTF_8).strip();
        StoredFiles.StoredFile stored = files.upload(BatchJobs.owner(Authentication.principal(ctx)), purposeName,
                "upload", file.filename(), file.content(), ctx.ip());
        Json.respond(ctx, 200, json(stored));
    }

    /** GET /v1/files[?purpose=batch]: Mistral's list, with OpenAI's paging fields. */
    void list(Context ctx) {
        List<Map<String, Object>> data = new ArrayList<>();
        for (StoredFiles.StoredFile f : files.list(BatchJobs.owner(Authentication.principal(ctx)), ctx.queryParam("purpose"))) {
            data.add(json(f));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("object", "list");
        body.put("data", data);
        body.put("total", data.size());
        body.put("has_more", false);
        body.put("first_id", data.isEmpty() ? null : data.getFirst().get("id"));
        body.put("last_id", data.isEmpty() ? null : data.getLast().get("id"));
        Json.respond(ctx, 200, body);
    }

    /** GET /v1/files/{id}. */
    void get(Context ctx) {
        Json.respond(ctx, 200, json(files.get(BatchJobs.owner(Authentication.principal(ctx)), ctx.pathParam("id"),
                ctx.ip())));
    }

    /** GET /v1/files/{id}/content: the bytes as uploaded or written; JSON lines for a batch's. */
    void content(Context ctx) {
        String id = ctx.pathParam("id");
        byte[] content = files.content(BatchJobs.owner(Authentication.principal(ctx)), id, ctx.ip());
        ctx.status(200).contentType("application/octet-stream")
                .header("Content-Disposition", "attachment; filename=\"" + id + ".jsonl\"").result(content);
    }

    /** DELETE /v1/files/{id}. */
    void delete(Context ctx) {
        String id = ctx.pathParam("id");
        files.delete(BatchJobs.owner(Authentication.principal(ctx)), id, ctx.ip());
        Json.respond(ctx, 200, Map.of("id", id, "object", "file", "deleted", true));
    }

    /** A file as both APIs describe it. */
    static Map<String, Object> json(StoredFiles.StoredFile f) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", f.id());
        json.put("object", "file");
        json.put("bytes", f.bytes());
        json.put("size_bytes", f.bytes());
        json.put("created_at", f.createdAt().getEpochSecond());
        json.put("filename", f.filename());
        boolean written = f.source().equals("output") || f.source().equals("error");
        json.put("purpose", f.source().equals("output") ? "batch_output" : f.purpose());
        json.put("sample_type", switch (f.source()) {
            case "output" -> "batch_result";
            case "error" -> "batch_error";
            default -> "batch_request";
        });
        json.put("source", written ? "mistral" : "upload");
        json.put("num_lines", f.lines());
        json.put("status", "processed");
        return json;
    }
}

package eu.souverain.server.api;

import eu.souverain.server.documents.Documents;
import eu.souverain.server.documents.Documents.Document;
import eu.souverain.server.documents.Ingestion;
import eu.souverain.server.documents.Libraries;
import eu.souverain.server.documents.Libraries.Library;
import eu.souverain.server.documents.Libraries.Share;
import eu.souverain.server.documents.LinkRefused;
import eu.souverain.server.documents.Retrieval;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.User;
import eu.souverain.server.tenancy.Users;
import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Mistral's Libraries API over the organization's document libraries: libraries, their documents
 * (multipart upload, list with pagination and search by name, status, extracted text) and their
 * sharing, with the same paths and shapes, so that an official Mistral client manages them by base
 * URL alone; and {@code POST /v1/search}. A library the caller may not read answers 404.
 */
final class LibrariesRoutes {

    private static final long SMALL_BODY = 64 << 10;
    private static final Set<String> CREATE_FIELDS = Set.of("name", "description", "chunk_size", "owner_type");
    private static final Set<String> UPDATE_FIELDS = Set.of("name", "description");
    private static final Set<String> DOCUMENT_FIELDS = Set.of("name", "attributes", "expires_at");
    private static final Set<String> SHARE_FIELDS = Set.of("org_id", "level", "share_with_uuid", "share_with_type",
            "share_with_email");
    private static final Set<String> UNSHARE_FIELDS = Set.of("org_id", "share_with_uuid", "share_with_type",
            "share_with_email");
    private static final Set<String> SEARCH_FIELDS = Set.of("query", "library_ids", "limit", "method");
    static final int MAX_PAGE_SIZE = 100;
    /** Room for a multipart body's boundaries and headers around its file. */
    private static final long MULTIPART_OVERHEAD = 64 << 10;

    private final Documents documents;
    private final Ingestion ingestion;
    private final Retrieval retrieval;
    private final RequestBodies bodies;
    private final Users users;

    LibrariesRoutes(Documents documents, Ingestion ingestion, Retrieval retrieval, RequestBodies bodies, Users users) {
        this.users = users;
        this.documents = documents;
        this.ingestion = ingestion;
        this.retrieval = retrieval;
        this.bodies = bodies;
    }

    void create(Context ctx) throws IOException {
        RequestFields body = RequestFields.of(bodies.read(ctx, SMALL_BODY), CREATE_FIELDS);
        Double chunk = body.number("chunk_size");
        Library library = libraries().create(caller(ctx), body.requiredString("name"), body.string("description"),
                chunk == null ? null : chunk.intValue(), ctx.ip());
        Json.respond(ctx, 201, library(library));
    }

    void list(Context ctx) {
        List<Map<String, Object>> data = new ArrayList<>();
        for (Library library : libraries().readable(caller(ctx))) {
            data.add(library(library));
        }
        Json.respond(ctx, 200, Map.of("data", data));
    }

    void get(Context ctx) {
        Json.respond(ctx, 200, library(libraries().require(caller(ctx), ctx.pathParam("id"), Libraries.Role.VIEWER,
                "libraries.read", ctx.ip())));
    }

    void update(Context ctx) throws IOException {
        RequestFields body = RequestFields.of(bodies.read(ctx, SMALL_BODY), UPDATE_FIELDS);
        Json.respond(ctx, 200, library(libraries().update(caller(ctx), ctx.pathParam("id"), body.string("name"),
                body.string("description"), ctx.ip())));
    }

    void delete(Context ctx) {
        Map<String, Object> deleted = library(documents.deleteLibrary(caller(ctx), ctx.pathParam("id"), ctx.ip()));
        deleted.put("total_size", 0);
        deleted.put("nb_documents", 0);
        Json.respond(ctx, 200, deleted);
    }

    /** POST /v1/libraries/{id}/documents: a multipart body whose part "file" is the document. */
    void upload(Context ctx) throws IOException {
        Principal caller = caller(ctx);
        libraries().require(caller, ctx.pathParam("id"), Libraries.Role.EDITOR, "documents.upload", ctx.ip());
        long limit = documents.settings().maxFileBytes();
        long declared = ctx.req().getContentLengthLong();
        if (declared < 0) {
            throw new ApiError(411, "invalid_request_error", "length_required", null,
                    "an upload must declare its Content-Length", Map.of());
        }
        if (declared > limit + MULTIPART_OVERHEAD) {
            throw new ApiError(413, "invalid_request_error", "request_too_large", "file", "the upload has " + declared
                    + " bytes; a document may have up to " + limit + " bytes", Map.of());
        }
        String type = ctx.contentType();
        if (type == null || !type.toLowerCase().startsWith("multipart/form-data")) {
            throw ApiError.invalid("file", "upload a document as multipart/form-data with its file in the part 'file'");
        }
        UploadedFile file = ctx.uploadedFile("file");
        if (file == null) {
            throw ApiError.invalid("file", "the multipart body has no part 'file'");
        }
        byte[] bytes;
        try (InputStream in = file.content()) {
            bytes = in.readNBytes((int) Math.min(limit + 1, Integer.MAX_VALUE - 8));
        }
        if (bytes.length > limit) {
            throw new ApiError(413, "invalid_request_error", "request_too_large", "file",
                    "the document has more than " + limit + " bytes, the limit", Map.of());
        }
        Document document = ingestion.upload(caller, ctx.pathParam("id"), file.filename(), bytes, ctx.ip());
        Json.respond(ctx, 200, document(document));
    }

    void documents(Context ctx) {
        int page = intParam(ctx, "page", 0, 0, Integer.MAX_VALUE);
        int pageSize = intParam(ctx, "page_size", 100, 1, MAX_PAGE_SIZE);
        String sortBy = ctx.queryParam("sort_by") == null ? "created_at" : ctx.queryParam("sort_by");
        if (!sortBy.equals("created_at") && !sortBy.equals("name")) {
            throw ApiError.invalid("sort_by", "sort_by is created_at or name, not '" + sortBy + "'");
        }
        String order = ctx.queryParam("sort_order") == null ? "desc" : ctx.queryParam("sort_order");
        if (!order.equals("asc") && !order.equals("desc")) {
            throw ApiError.invalid("sort_order", "sort_order is asc or desc, not '" + order + "'");
        }
        List<Document> all = documents.list(caller(ctx), ctx.pathParam("id"), ctx.queryParam("search"), sortBy,
                order.equals("asc"), ctx.ip());
        int from = (int) Math.min(all.size(), (long) page * pageSize);
        int to = Math.min(all.size(), from + pageSize);
        List<Map<String, Object>> data = new ArrayList<>();
        all.subList(from, to).forEach(d -> data.add(document(d)));
        Map<String, Object> pagination = new LinkedHashMap<>();
        pagination.put("total_items", all.size());
        pagination.put("total_pages", (all.size() + pageSize - 1) / pageSize);
        pagination.put("current_page", page);
        pagination.put("page_size", pageSize);
        pagination.put("has_more", to < all.size());
        Json.respond(ctx, 200, Map.of("pagination", pagination, "data", data));
    }

    void document(Context ctx) {
        Json.respond(ctx, 200, document(documents.get(caller(ctx), ctx.pathParam("id"), ctx.pathParam("documentId"),
                ctx.ip())));
    }

    void status(Context ctx) {
        Document document = documents.get(caller(ctx), ctx.pathParam("id"), ctx.pathParam("documentId"), ctx.ip());
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("document_id", document.id());
        status.put("process_status", processStatus(document.status()));
        status.put("processing_status", document.status());
        status.put("processing_error", document.failure());
        Json.respond(ctx, 200, status);
    }

    void text(Context ctx) {
        String documentId = ctx.pathParam("documentId");
        String text = documents.text(caller(ctx), ctx.pathParam("id"), documentId, ctx.ip())
                .orElseThrow(() -> notProcessed(documentId));
        Json.respond(ctx, 200, Map.of("text", text));
    }

    /** PUT or PATCH /v1/libraries/{id}/documents/{documentId}: {name?, attributes?}; Mistral's document back. */
    void updateDocument(Context ctx) throws IOException {
        RequestFields body = RequestFields.of(bodies.read(ctx, SMALL_BODY), DOCUMENT_FIELDS);
        JsonNode expires = body.node("expires_at");
        if (expires != null && !expires.isNull()) {
            throw ApiError.unsupported("expires_at", "documents here do not expire on a date of their own: the"
                    + " organization's retention deletes them, or DELETE does");
        }
        Json.respond(ctx, 200, document(documents.update(caller(ctx), ctx.pathParam("id"), ctx.pathParam("documentId"),
                body.string("name"), body.node("attributes"), ctx.ip())));
    }

    /** POST /v1/libraries/{id}/documents/{documentId}/reprocess: processed again from its original; 204. */
    void reprocess(Context ctx) {
        ingestion.reprocess(caller(ctx), ctx.pathParam("id"), ctx.pathParam("documentId"), ctx.ip());
        ctx.status(204);
    }

    /** GET .../signed-url: a link that downloads the original without an API key, as a JSON string. */
    void signedUrl(Context ctx) {
        Json.respond(ctx, 200, origin(ctx) + documents.link(caller(ctx), ctx.pathParam("id"),
                ctx.pathParam("documentId"), false, ctx.ip()).orElseThrow());
    }

    /** GET .../extracted-text-signed-url: a link that downloads the extracted text (409 before there is one). */
    void textSignedUrl(Context ctx) {
        String documentId = ctx.pathParam("documentId");
        Json.respond(ctx, 200, origin(ctx) + documents.link(caller(ctx), ctx.pathParam("id"), documentId, true,
                ctx.ip()).orElseThrow(() -> notProcessed(documentId)));
    }

    /**
     * GET /documents/download/{id}/{documentId}/{original|text}?org&by&expires&signature: what a
     * signed link downloads, with no API key; a changed or expired link gets 403, a document gone
     * since (or whose link's maker may no longer read it) 404. Always an attachment, sandboxed, so
     * that an HTML original never runs as a page of this origin.
     */
    void download(Context ctx) {
        Documents.Download download;
        try {
            download = documents.download(ctx.pathParam("id"), ctx.pathParam("documentId"), ctx.pathParam("kind"),
                    ctx.queryParam("org"), ctx.queryParam("by"), ctx.queryParam("expires"), ctx.queryParam("signature"),
                    ctx.ip());
        } catch (LinkRefused e) {
            throw new ApiError(403, "invalid_request_error", e.expired() ? "link_expired" : "invalid_signature", null,
                    e.getMessage(), Map.of());
        }
        ctx.header("Content-Security-Policy", "sandbox; default-src 'none'");
        ctx.header("Cache-Control", "no-store");
        ctx.header("Content-Disposition", attachment(download.fileName()));
        ctx.status(200).contentType(download.mimeType() == null ? "application/octet-stream" : download.mimeType())
                .result(download.bytes());
    }

    /** Where the caller reached this server: the links it is given start there. */
    private static String origin(Context ctx) {
        URI url = URI.create(ctx.url());
        return url.getScheme() + "://" + url.getRawAuthority();
    }

    /** A Content-Disposition for {@code name}: plain ASCII for old clients, the exact name in RFC 5987's form. */
    static String attachment(String name) {
        String ascii = name.replaceAll("[^A-Za-z0-9._ ()-]", "_");
        return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''"
                + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static ApiError notProcessed(String documentId) {
        return new ApiError(409, "invalid_request_error", "not_processed", null, "document " + documentId
                + " has no text yet: its processing has not completed", Map.of());
    }

    void deleteDocument(Context ctx) {
        documents.delete(caller(ctx), ctx.pathParam("id"), ctx.pathParam("documentId"), ctx.ip());
        ctx.status(204);
    }

    /** GET /v1/libraries/{id}/share: who may use it; a user's share carries their address too. */
    void shares(Context ctx) {
        Principal caller = caller(ctx);
        List<Share> shares = libraries().shares(caller, ctx.pathParam("id"), ctx.ip());
        Map<String, String> addresses = new HashMap<>();
        users.list(caller.organizationId()).forEach(u -> addresses.put(u.id(), u.email()));
        List<Map<String, Object>> data = new ArrayList<>();
        for (Share share : shares) {
            data.add(share(share, caller, addresses.get(share.entityId())));
        }
        Json.respond(ctx, 200, Map.of("data", data));
    }

    /**
     * PUT /v1/libraries/{id}/share: Mistral's sharing request; a user may also be named by
     * {@code share_with_email} (Souverain's), an address of the caller's organization.
     */
    void share(Context ctx) throws IOException {
        RequestFields body = RequestFields.of(bodies.read(ctx, SMALL_BODY), SHARE_FIELDS);
        Principal caller = caller(ctx);
        String type = body.requiredString("share_with_type");
        Share share = libraries().share(caller, ctx.pathParam("id"), type, sharedWith(caller, type, body),
                Libraries.Role.shareLevel(body.requiredString("level")), ctx.ip());
        Json.respond(ctx, 200, share(share, caller, address(caller, share)));
    }

    void unshare(Context ctx) throws IOException {
        RequestFields body = RequestFields.of(bodies.read(ctx, SMALL_BODY), UNSHARE_FIELDS);
        Principal caller = caller(ctx);
        String type = body.requiredString("share_with_type");
        Share share = libraries().unshare(caller, ctx.pathParam("id"), type, sharedWith(caller, type, body),
                ctx.ip());
        Json.respond(ctx, 200, share(share, caller, address(caller, share)));
    }

    /** The id a share names: {@code share_with_uuid}, or for a user the one whose address is {@code share_with_email}. */
    private String sharedWith(Principal caller, String type, RequestFields body) {
        String email = body.string("share_with_email");
        if (email == null) {
            return body.requiredString("share_with_uuid");
        }
        if (body.string("share_with_uuid") != null || !"User".equalsIgnoreCase(type)) {
            throw ApiError.invalid("share_with_email", "share_with_email names a user (share_with_type User), in place"
                    + " of share_with_uuid");
        }
        // Refused alike whether the address is another organization's or no one's.
        return users.member(caller.organizationId(), email).map(User::id).orElseThrow(() -> ApiError.invalid(
                "share_with_email", "no user of your organization has the address '" + email.strip() + "'"));
    }

    private String address(Principal caller, Share share) {
        return "User".equals(share.entityType()) ? users.list(caller.organizationId()).stream()
                .filter(u -> u.id().equals(share.entityId())).map(User::email).findFirst().orElse(null) : null;
    }

    /** POST /v1/search: chunks of the caller's libraries, with their scores and positions. */
    void search(Context ctx) throws IOException {
        RequestFields body = RequestFields.of(bodies.read(ctx, SMALL_BODY), SEARCH_FIELDS);
        Double limit = body.number("limit");
        String method = body.string("method");
        Retrieval.Method chosen = Retrieval.Method.of(method == null ? "hybrid" : method);
        Retrieval.Found found = retrieval.search(caller(ctx), body.requiredString("query"),
                body.strings("library_ids"), limit == null ? 10 : limit.intValue(), chosen, ctx.ip());
        List<Map<String, Object>> data = new ArrayList<>();
        for (Retrieval.Result r : found.results()) {
            data.add(result(r));
        }
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("object", "list");
        response.put("method", chosen.name().toLowerCase());
        if (found.rerankModel() != null) {
            Map<String, Object> rerank = new LinkedHashMap<>();
            rerank.put("model", found.rerankModel());
            rerank.put("applied", found.reranked());
            if (found.note() != null) {
                rerank.put("note", found.note());
            }
            response.put("rerank", rerank);
        }
        response.put("data", data);
        Json.respond(ctx, 200, response);
    }

    static Map<String, Object> result(Retrieval.Result r) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("object", "search.result");
        entry.put("library_id", r.libraryId());
        entry.put("document_id", r.documentId());
        entry.put("document_name", r.documentName());
        entry.put("chunk", r.chunk());
        entry.put("page", r.page());
        entry.put("start", r.start());
        entry.put("end", r.end());
        entry.put("score", r.score());
        if (r.rerankScore() != null) {
            entry.put("rerank_score", r.rerankScore());
        }
        entry.put("text", r.text());
        return entry;
    }

    private Libraries libraries() {
        return documents.libraries();
    }

    private static Principal caller(Context ctx) {
        return Authentication.principal(ctx);
    }

    private static int intParam(Context ctx, String name, int fallback, int min, int max) {
        String value = ctx.queryParam(name);
        if (value == null) {
            return fallback;
        }
        try {
            int parsed = Integer.parseInt(value);
            if (parsed < min || parsed > max) {
                throw ApiError.invalid(name, name + " is between " + min + " and " + max + ", was " + parsed);
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw ApiError.invalid(name, name + " must be an integer, was '" + value + "'");
        }
    }

    private Map<String, Object> library(Library library) {
        Documents.Size size = documents.size(library.id());
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", library.id());
        json.put("name", library.name());
        json.put("created_at", library.createdAt().toString());
        json.put("updated_at", library.updatedAt().toString());
        json.put("owner_id", library.ownerId());
        json.put("owner_type", library.ownerIsUser() ? "User" : "ApiKey");
        json.put("total_size", size.bytes());
        json.put("nb_documents", size.documents());
        json.put("chunk_size", library.chunkSize());
        json.put("emoji", null);
        json.put("description", library.description());
        json.put("generated_description", null);
        json.put("explicit_user_members_count", library.userShares());
        json.put("explicit_workspace_members_count", 0);
        json.put("org_sharing_role", library.orgRole() == null ? null : library.orgRole().wireName());
        json.put("generated_name", null);
        json.put("role", library.role() == null ? null : library.role().wireName());
        return json;
    }

    static Map<String, Object> document(Document d) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", d.id());
        json.put("library_id", d.libraryId());
        json.put("hash", null);
        json.put("mime_type", d.mimeType());
        json.put("extension", d.extension());
        json.put("size", d.size());
        json.put("name", d.name());
        json.put("summary", null);
        json.put("created_at", d.createdAt().toString());
        json.put("last_processed_at", d.processedAt() == null ? null : d.processedAt().toString());
        json.put("number_of_pages", d.pages());
        json.put("process_status", processStatus(d.status()));
        json.put("uploaded_by_id", d.uploadedBy());
        json.put("uploaded_by_type", d.uploadedByUser() ? "User" : "ApiKey");
        json.put("tokens_processing_main_content", null);
        json.put("tokens_processing_summary", null);
        json.put("url", null);
        json.put("attributes", d.attributes());
        json.put("expires_at", null);
        json.put("processing_status", d.status());
        json.put("processing_error", d.failure());
        json.put("tokens_processing_total", 0);
        json.put("number_of_chunks", d.chunks());
        json.put("language", d.language());
        return json;
    }

    /** Mistral's process_status for our Running, Completed and Failed. */
    private static String processStatus(String status) {
        return switch (status) {
            case "Completed" -> "done";
            case "Failed" -> "error";
            default -> "in_progress";
        };
    }

    /** A share as Mistral writes it, with the shared user's address (Souverain's) when it is a user's. */
    private static Map<String, Object> share(Share share, Principal caller, String email) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("library_id", share.libraryId());
        json.put("user_id", caller.actorId());
        json.put("org_id", share.organizationId());
        json.put("role", share.role().wireName());
        json.put("share_with_type", share.entityType());
        json.put("share_with_uuid", share.entityId());
        if (email != null) {
            json.put("share_with_email", email);
        }
        return json;
    }
}

package eu.souverain.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.catalogue.CatalogueJob;
import eu.souverain.server.catalogue.CatalogueJobs;
import eu.souverain.server.catalogue.EnrichmentSettings;
import eu.souverain.server.catalogue.ProductSelection;
import eu.souverain.server.catalogue.ReviewFiles;
import eu.souverain.server.catalogue.ShopField;
import eu.souverain.server.catalogue.ShopKey;
import eu.souverain.server.catalogue.WriteMethod;
import eu.souverain.server.tenancy.Principal;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * /v1/catalogue/jobs: catalogue enrichment jobs of the caller's organization, run in the server
 * ({@link CatalogueJobs}): create one (the shop's key is kept encrypted until it ends, and never
 * shown again), read its status and counts, list them, and read a dry run's proposals.
 */
final class CatalogueRoutes {

    private static final Set<String> FIELDS = Set.of("shop", "key", "languages", "fields", "products", "category",
            "model", "tone", "overwrite", "dry_run", "concurrency", "write_method", "max_tokens");
    private static final int MAX_PAGE = 500;

    private final CatalogueJobs jobs;
    private final RequestBodies bodies;
    private final String defaultModel;

    CatalogueRoutes(CatalogueJobs jobs, RequestBodies bodies, String defaultModel) {
        this.jobs = jobs;
        this.bodies = bodies;
        this.defaultModel = defaultModel;
    }

    void create(Context ctx) throws IOException {
        Principal caller = Authentication.principal(ctx);
        JsonNode body = Json.read(bodies.read(ctx));
        ChatCompletionRequests.requireKnownFields(body, FIELDS, "catalogue job");
        ShopKey key;
        try {
            key = ShopKey.of(text(body, "key", true));
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid("key", e.getMessage());
        }
        EnrichmentSettings settings;
        String param = "shop";
        try {
            param = "products";
            ProductSelection selection = new ProductSelection(text(body, "products", false),
                    body.hasNonNull("category") ? integer(body, "category") : null);
            param = "fields";
            List<ShopField> fields = ShopField.list(String.join(",", strings(body, "fields")));
            param = "write_method";
            WriteMethod method = WriteMethod.of(body.hasNonNull("write_method") ? text(body, "write_method", true) : "auto");
            param = "settings";
            String model = text(body, "model", false);
            settings = new EnrichmentSettings(text(body, "shop", true), strings(body, "languages"), fields, selection,
                    model != null ? model : defaultModel, text(body, "tone", false), bool(body, "overwrite"),
                    bool(body, "dry_run"), body.hasNonNull("concurrency") ? integer(body, "concurrency") : 2, method,
                    body.hasNonNull("max_tokens") ? integer(body, "max_tokens") : EnrichmentSettings.DEFAULT_MAX_TOKENS,
                    null);
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid(param, e.getMessage());
        }
        Json.respond(ctx, 200, start(caller, ctx.ip(), settings, key).json());
    }

    /** A new job that writes the proposals of a finished dry run, as reviewed; the key comes again in the body. */
    void apply(Context ctx) throws IOException {
        CatalogueJob reviewed = job(ctx);
        JsonNode body = Json.read(bodies.read(ctx));
        ChatCompletionRequests.requireKnownFields(body, Set.of("key"), "catalogue apply");
        ShopKey key;
        try {
            key = ShopKey.of(text(body, "key", true));
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid("key", e.getMessage());
        }
        if (reviewed.status() != CatalogueJob.Status.SUCCEEDED) {
            throw ApiError.invalid("id", "job " + reviewed.id() + " is " + reviewed.status().wireName()
                    + "; only a finished dry run's proposals can be written");
        }
        EnrichmentSettings settings;
        try {
            settings = reviewed.settings().applying(reviewed.id());
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid("id", e.getMessage());
        }
        Json.respond(ctx, 200, start(Authentication.principal(ctx), ctx.ip(), settings, key).json());
    }

    private CatalogueJob start(Principal caller, String clientIp, EnrichmentSettings settings, ShopKey key) {
        try {
            return jobs.start(caller, clientIp, settings, key);
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid("concurrency", e.getMessage());
        } catch (CatalogueJobs.TooManyJobs e) {
            throw new ApiError(429, "rate_limit_error", "too_many_jobs", null, e.getMessage(), Map.of());
        }
    }

    void get(Context ctx) {
        Json.respond(ctx, 200, job(ctx).json());
    }

    void list(Context ctx) {
        int limit = page(ctx, "limit", 20);
        List<Object> data = new ArrayList<>();
        jobs.list(Authentication.principal(ctx).organizationId(), limit).forEach(j -> data.add(j.json()));
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("object", "list");
        answer.put("data", data);
        Json.respond(ctx, 200, answer);
    }

    /** The proposals of a dry run (before and after), or the fields a job wrote (their hashes and provenance). */
    void review(Context ctx) {
        CatalogueJob job = job(ctx);
        int limit = page(ctx, "limit", 100);
        int offset = ctx.queryParam("offset") == null ? 0 : page(ctx, "offset", 0);
        List<Object> data = new ArrayList<>();
        for (ReviewFiles.Proposal proposal : jobs.review(job, limit, offset)) {
            data.add(proposal.json());
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("object", "list");
        answer.put("job", job.id());
        answer.put("data", data);
        answer.put("has_more", data.size() == limit);
        Json.respond(ctx, 200, answer);
    }

    /** The job named in the path, of the caller's organization: any other is answered as one that does not exist. */
    private CatalogueJob job(Context ctx) {
        String id = ctx.pathParam("id");
        return jobs.find(Authentication.principal(ctx).organizationId(), id).orElseThrow(() -> new ApiError(404,
                "invalid_request_error", "not_found", "id", "no catalogue job '" + id + "'", Map.of()));
    }

    private static int page(Context ctx, String name, int absent) {
        String value = ctx.queryParam(name);
        if (value == null) {
            return absent;
        }
        try {
            int n = Integer.parseInt(value);
            if (n < 0 || n > (name.equals("offset") ? Integer.MAX_VALUE : MAX_PAGE) || (n == 0 && !name.equals("offset"))) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw ApiError.invalid(name, name + " must be an integer" + (name.equals("offset") ? " >= 0"
                    : " from 1 to " + MAX_PAGE) + ", not '" + value + "'");
        }
    }

    private static String text(JsonNode body, String field, boolean required) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                throw ApiError.schema("missing_field", field, "'" + field + "' is required");
            }
            return null;
        }
        if (!value.isTextual()) {
            throw ChatCompletionRequests.typeError(field, "a string", value);
        }
        return value.asText();
    }

    /** An array of strings, or one comma-separated string. */
    private static List<String> strings(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            throw ApiError.schema("missing_field", field, "'" + field + "' is required");
        }
        if (value.isTextual()) {
            return List.of(value.asText().split(","));
        }
        if (!value.isArray() || value.size() > 20) {
            throw ChatCompletionRequests.typeError(field, "an array of at most 20 strings", value);
        }
        List<String> list = new ArrayList<>();
        for (int i = 0; i < value.size(); i++) {
            if (!value.get(i).isTextual()) {
                throw ChatCompletionRequests.typeError(field + "[" + i + "]", "a string", value.get(i));
            }
            list.add(value.get(i).asText());
        }
        return list;
    }

    private static int integer(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (!value.canConvertToInt() || !value.isIntegralNumber()) {
            throw ChatCompletionRequests.typeError(field, "an integer", value);
        }
        return value.asInt();
    }

    private static boolean bool(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return false;
        }
        if (!value.isBoolean()) {
            throw ChatCompletionRequests.typeError(field, "a boolean", value);
        }
        return value.asBoolean();
    }
}

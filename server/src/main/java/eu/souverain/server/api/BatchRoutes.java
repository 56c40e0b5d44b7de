package eu.souverain.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.batch.BatchJobs;
import eu.souverain.server.batch.BatchRunner;
import eu.souverain.server.tenancy.Principal;
import io.javalin.http.Context;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Batch jobs over HTTP, as Mistral's API has them ({@code /v1/batch/jobs}) and as OpenAI's has
 * them ({@code /v1/batches}): two shapes of the same jobs, which {@link BatchRunner} runs.
 */
final class BatchRoutes {

    static final long MAX_BODY_BYTES = 8L << 20;
    private static final Set<String> MISTRAL_FIELDS = Set.of("input_files", "requests", "endpoint", "model", "metadata",
            "timeout_hours", "agent_id");
    private static final Set<String> OPENAI_FIELDS = Set.of("input_file_id", "endpoint", "completion_window", "metadata",
            "output_expires_after");
    private static final Pattern WINDOW = Pattern.compile("(\\d{1,3})h");
    private static final int MAX_PAGE_SIZE = 1000;

    private final BatchJobs jobs;
    private final BatchRunner runner;
    private final RequestBodies bodies;

    BatchRoutes(BatchJobs jobs, BatchRunner runner, RequestBodies bodies) {
        this.jobs = jobs;
        this.runner = runner;
        this.bodies = bodies;
    }

    /** POST /v1/batch/jobs: input_files or inline requests, the endpoint, model, metadata, timeout_hours. */
    void createMistral(Context ctx) throws IOException {
        JsonNode body = Json.read(bodies.read(ctx, MAX_BODY_BYTES));
        ChatCompletionRequests.requireKnownFields(body, MISTRAL_FIELDS, "batch job");
        if (body.hasNonNull("agent_id")) {
            throw ApiError.unsupported("agent_id", "agents are not supported; give a model");
        }
        List<String> inputs = null;
        if (body.hasNonNull("input_files")) {
            inputs = strings(body.get("input_files"), "input_files");
        }
        List<String> inline = null;
        if (body.hasNonNull("requests")) {
            JsonNode requests = body.get("requests");
            if (!requests.isArray()) {
                throw ChatCompletionRequests.typeError("requests", "an array of {custom_id, body}", requests);
            }
            RequestLimits.atMost("requests", requests, BatchJobs.MAX_LINES, "requests");
            inline = new ArrayList<>();
            for (JsonNode request : requests) {
                inline.add(request.toString());
            }
        }
        String endpoint = required(body, "endpoint");
        long hours = ChatCompletionRequests.integer(body, "timeout_hours", 24);
        BatchJobs.Job job = jobs.create(Authentication.principal(ctx), new BatchJobs.NewJob(BatchJobs.Api.MISTRAL,
                endpoint, ChatCompletionRequests.string(body, "model"), inputs, inline, metadata(body),
                (int) Math.min(hours, Integer.MAX_VALUE)), ctx.ip());
        runner.wake();
        Json.respond(ctx, 200, mistral(job));
    }

    /** POST /v1/batches: input_file_id, endpoint, completion_window ("24h"), metadata. */
    void createOpenAi(Context ctx) throws IOException {
        JsonNode body = Json.read(bodies.read(ctx, MAX_BODY_BYTES));
        ChatCompletionRequests.requireKnownFields(body, OPENAI_FIELDS, "batch");
        String input = required(body, "input_file_id");
        String endpoint = required(body, "endpoint");
        String window = required(body, "completion_window");
        Matcher hours = WINDOW.matcher(window);
        if (!hours.matches()) {
            throw ApiError.invalid("completion_window", "completion_window is a number of hours such as \"24h\", was '"
                    + window + "'");
        }
        BatchJobs.Job job = jobs.create(Authentication.principal(ctx), new BatchJobs.NewJob(BatchJobs.Api.OPENAI,
                endpoint, null, List.of(input), null, metadata(body), Integer.parseInt(hours.group(1))), ctx.ip());
        runner.wake();
        Json.respond(ctx, 200, openAi(job));
    }

    /** GET /v1/batch/jobs[?page&page_size&model&metadata&created_after&created_by_me&status]. */
    void listMistral(Context ctx) {
        Set<BatchJobs.Status> statuses = EnumSet.noneOf(BatchJobs.Status.class);
        for (String status : ctx.queryParams("status")) {
            for (String name : status.split(",")) {
                statuses.add(status(name.strip()));
            }
        }
        Map<String, String> metadata = null;
        String metadataParam = ctx.queryParam("metadata");
        if (metadataParam != null) {
            JsonNode node = Json.read(metadataParam.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            metadata = metadata(node, "metadata");
        }
        Instant after = null;
        String afterParam = ctx.queryParam("created_after");
        if (afterParam != null) {
            try {
                after = OffsetDateTime.parse(afterParam).toInstant();
            } catch (DateTimeParseException e) {
                throw ApiError.invalid("created_after", "created_after is an ISO 8601 date and time with its offset,"
                        + " such as 2026-01-31T12:00:00Z; was '" + afterParam + "'");
            }
        }
        List<BatchJobs.Job> all = jobs.list(Authentication.principal(ctx), new BatchJobs.Filter(statuses,
                ctx.queryParam("model"), after, Boolean.parseBoolean(ctx.queryParam("created_by_me")), metadata));
        int page = (int) queryInt(ctx, "page", 0, 0, Integer.MAX_VALUE);
        int size = (int) queryInt(ctx, "page_size", 100, 1, MAX_PAGE_SIZE);
        List<Map<String, Object>> data = all.stream().skip((long) page * size).limit(size).map(BatchRoutes::mistral)
                .toList();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("data", data);
        body.put("object", "list");
        body.put("total", all.size());
        Json.respond(ctx, 200, body);
    }

    /** GET /v1/batches[?after&limit]: newest first, as OpenAI pages them. */
    void listOpenAi(Context ctx) {
        List<BatchJobs.Job> all = jobs.list(Authentication.principal(ctx), BatchJobs.Filter.NONE);
        String after = ctx.queryParam("after");
        int limit = (int) queryInt(ctx, "limit", 20, 1, 100);
        int from = 0;
        if (after != null) {
            for (int i = 0; i < all.size(); i++) {
                if (all.get(i).id().equals(after)) {
                    from = i + 1;
                }
            }
        }
        List<Map<String, Object>> data = all.stream().skip(from).limit(limit).map(BatchRoutes::openAi).toList();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("object", "list");
        body.put("data", data);
        body.put("first_id", data.isEmpty() ? null : data.getFirst().get("id"));
        body.put("last_id", data.isEmpty() ? null : data.getLast().get("id"));
        body.put("has_more", from + data.size() < all.size());
        Json.respond(ctx, 200, body);
    }

    void getMistral(Context ctx) {
        Json.respond(ctx, 200, mistral(job(ctx)));
    }

    void getOpenAi(Context ctx) {
        Json.respond(ctx, 200, openAi(job(ctx)));
    }

    void cancelMistral(Context ctx) {
        Json.respond(ctx, 200, mistral(cancel(ctx)));
    }

    void cancelOpenAi(Context ctx) {
        Json.respond(ctx, 200, openAi(cancel(ctx)));
    }

    private BatchJobs.Job job(Context ctx) {
        return jobs.get(Authentication.principal(ctx), ctx.pathParam("id"), ctx.ip());
    }

    private BatchJobs.Job cancel(Context ctx) {
        Principal caller = Authentication.principal(ctx);
        BatchJobs.Job job = jobs.cancel(caller, ctx.pathParam("id"), ctx.ip());
        runner.wake();
        return job;
    }

    /** A job as Mistral's API describes it. */
    static Map<String, Object> mistral(BatchJobs.Job job) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", job.id());
        json.put("object", "batch");
        json.put("input_files", job.inputFiles());
        json.put("metadata", job.metadata());
        json.put("endpoint", job.endpoint());
        json.put("model", job.model());
        json.put("output_file", job.outputFile());
        json.put("error_file", job.errorFile());
        json.put("errors", job.error() == null ? List.of() : List.of(Map.of("message", job.error(), "count", 1)));
        json.put("status", job.status().name());
        json.put("created_at", job.createdAt().getEpochSecond());
        json.put("total_requests", job.total());
        json.put("completed_requests", job.completed());
        json.put("succeeded_requests", job.succeeded());
        json.put("failed_requests", job.failed());
        json.put("started_at", seconds(job.startedAt()));
        json.put("completed_at", seconds(job.completedAt()));
        return json;
    }

    /** A job as OpenAI's API describes it. */
    static Map<String, Object> openAi(BatchJobs.Job job) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", job.id());
        json.put("object", "batch");
        json.put("endpoint", job.endpoint());
        json.put("errors", job.error() == null ? null : Map.of("object", "list",
                "data", List.of(Map.of("code", "failed", "message", job.error()))));
        json.put("input_file_id", job.inputFiles().getFirst());
        json.put("completion_window", job.timeoutHours() + "h");
        json.put("status", job.status().openAi());
        json.put("output_file_id", job.outputFile());
        json.put("error_file_id", job.errorFile());
        json.put("created_at", job.createdAt().getEpochSecond());
        json.put("in_progress_at", seconds(job.startedAt()));
        json.put("expires_at", job.expiresAt().getEpochSecond());
        json.put("finalizing_at", null);
        BatchJobs.Status status = job.status();
        json.put("completed_at", status == BatchJobs.Status.SUCCESS ? seconds(job.completedAt()) : null);
        json.put("failed_at", status == BatchJobs.Status.FAILED ? seconds(job.completedAt()) : null);
        json.put("expired_at", status == BatchJobs.Status.TIMEOUT_EXCEEDED ? seconds(job.completedAt()) : null);
        json.put("cancelling_at", seconds(job.cancellingAt()));
        json.put("cancelled_at", status == BatchJobs.Status.CANCELLED ? seconds(job.completedAt()) : null);
        json.put("request_counts", Map.of("total", job.total(), "completed", job.succeeded(), "failed", job.failed()));
        json.put("metadata", job.metadata().isEmpty() ? null : job.metadata());
        return json;
    }

    private static Long seconds(Instant instant) {
        return instant == null ? null : instant.getEpochSecond();
    }

    private static BatchJobs.Status status(String name) {
        try {
            return BatchJobs.Status.valueOf(name);
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid("status", "unknown status '" + name + "'; one of "
                    + List.of(BatchJobs.Status.values()));
        }
    }

    private static String required(JsonNode body, String field) {
        String value = ChatCompletionRequests.string(body, field);
        if (value == null) {
            throw ApiError.schema("missing_field", field, "'" + field + "' is required");
        }
        return value;
    }

    private static List<String> strings(JsonNode node, String field) {
        if (!node.isArray()) {
            throw ChatCompletionRequests.typeError(field, "an array of file ids", node);
        }
        RequestLimits.atMost(field, node, 100, "files");
        List<String> values = new ArrayList<>();
        for (JsonNode value : node) {
            if (!value.isTextual()) {
                throw ChatCompletionRequests.typeError(field + "[]", "a string", value);
            }
            values.add(value.asText());
        }
        return values;
    }

    private static Map<String, String> metadata(JsonNode body) {
        JsonNode metadata = body.get("metadata");
        return metadata == null || metadata.isNull() ? Map.of() : metadata(metadata, "metadata");
    }

    private static Map<String, String> metadata(JsonNode node, String field) {
        if (!node.isObject()) {
            throw ChatCompletionRequests.typeError(field, "an object of strings", node);
        }
        Map<String, String> values = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> {
            if (!e.getValue().isTextual() || e.getKey().length() > 64 || e.getValue().asText().length() > 512) {
                throw ApiError.invalid(field, field + " maps keys of up to 64 characters to strings of up to 512");
            }
            values.put(e.getKey(), e.getValue().asText());
        });
        return values;
    }

    private static long queryInt(Context ctx, String name, long absent, long min, long max) {
        String value = ctx.queryParam(name);
        if (value == null) {
            return absent;
        }
        try {
            long n = Long.parseLong(value);
            if (n < min || n > max) {
                throw ApiError.invalid(name, name + " is between " + min + " and " + max + ", was " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw ApiError.invalid(name, name + " is a whole number, was '" + value + "'");
        }
    }
}

package eu.souverain.server.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import eu.souverain.server.files.StoredFiles;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A job's request lines: its input files' non-blank lines, numbered from 0 across the files in
 * order, and what each one asks for. Mistral's lines are {@code {"custom_id", "body"}}, the
 * model the job's; OpenAI's add {@code "method": "POST"} and the {@code "url"} of the job's
 * endpoint. A line that is none of these is {@link Malformed}, with the reason.
 */
final class BatchLines {

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final int MAX_CUSTOM_ID_CHARS = 512;

    private BatchLines() {
    }

    sealed interface Line permits Request, Malformed {
        /** The line's custom_id, or null when it has none (a malformed line may not). */
        String customId();
    }

    /** A line to run: its id and the body the endpoint gets. */
    record Request(String customId, ObjectNode body) implements Line {}

    /** A line that cannot run, and why. */
    record Malformed(String customId, String reason) implements Line {}

    /** The non-blank lines of {@code fileIds}' contents, in order. */
    static List<String> read(StoredFiles files, String organizationId, List<String> fileIds) {
        List<String> lines = new ArrayList<>();
        for (String id : fileIds) {
            String text = new String(files.content(organizationId, id), StandardCharsets.UTF_8);
            for (String line : text.split("\r?\n")) {
                if (!line.isBlank()) {
                    lines.add(line);
                }
            }
        }
        return lines;
    }

    /** Each of {@code lines} read for a job: a repeated custom_id fails the repeat, not the first. */
    static List<Line> parse(List<String> lines, BatchJobs.Job job) {
        List<Line> parsed = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            Line line = parse(lines.get(i), i, job);
            if (line.customId() != null) {
                Integer first = seen.putIfAbsent(line.customId(), i);
                if (first != null) {
                    line = new Malformed(line.customId(), "line " + (i + 1) + ": custom_id '" + line.customId()
                            + "' is already the custom_id of line " + (first + 1) + "; each line needs its own");
                }
            }
            parsed.add(line);
        }
        return parsed;
    }

    private static Line parse(String text, int index, BatchJobs.Job job) {
        String at = "line " + (index + 1) + ": ";
        if (text.getBytes(StandardCharsets.UTF_8).length > BatchJobs.MAX_LINE_BYTES) {
            return new Malformed(null, at + "a line has at most " + BatchJobs.MAX_LINE_BYTES + " bytes");
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            return new Malformed(null, at + "not valid JSON: " + e.getOriginalMessage());
        }
        if (!(node instanceof ObjectNode line)) {
            return new Malformed(null, at + "a line is a JSON object with custom_id and body");
        }
        JsonNode id = line.get("custom_id");
        String customId = id != null && (id.isTextual() || id.isIntegralNumber()) ? id.asText() : null;
        if (customId == null || customId.isEmpty() || customId.length() > MAX_CUSTOM_ID_CHARS) {
            return new Malformed(null, at + "custom_id must be a string of 1 to " + MAX_CUSTOM_ID_CHARS + " characters");
        }
        if (!(line.get("body") instanceof ObjectNode body)) {
            return new Malformed(customId, at + "body must be a JSON object: the request to " + job.endpoint());
        }
        if (job.api() == BatchJobs.Api.OPENAI) {
            JsonNode method = line.get("method");
            if (method == null || !method.asText().equals("POST")) {
                return new Malformed(customId, at + "method must be \"POST\"");
            }
            JsonNode url = line.get("url");
            if (url == null || !url.asText().equals(job.endpoint())) {
                return new Malformed(customId, at + "url must be the job's endpoint, \"" + job.endpoint() + "\"");
            }
        }
        ObjectNode request = body.deepCopy();
        if (job.model() != null && !request.hasNonNull("model")) {
            request.put("model", job.model());
        }
        // A batch line is answered whole; a stream has nobody to go to.
        if (request.path("stream").asBoolean(false)) {
            return new Malformed(customId, at + "stream is not available in a batch: each answer is written whole");
        }
        return new Request(customId, request);
    }
}

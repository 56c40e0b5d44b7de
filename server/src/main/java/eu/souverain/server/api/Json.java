package eu.souverain.server.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/** JSON in and out: strict on the way in (one value, no duplicate keys), compact on the way out. */
final class Json {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private Json() {}

    /** A value as the JSON tree it is written as. */
    static JsonNode tree(Object value) {
        return MAPPER.valueToTree(value);
    }

    static JsonNode read(byte[] body) {
        if (body.length == 0) {
            throw new ApiError(400, "invalid_request_error", "invalid_json", null, "the body is empty; send a JSON object",
                    Map.of());
        }
        try {
            return MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
            throw new ApiError(400, "invalid_request_error", "invalid_json", null,
                    "the body is not valid JSON: " + e.getOriginalMessage() + where, Map.of());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] bytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON for " + value.getClass(), e);
        }
    }

    static void respond(Context ctx, int status, Object body) {
        ctx.status(status).contentType("application/json").result(bytes(body));
    }
}

package eu.souverain.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The fields of a JSON object body of the platform's own routes: unknown fields and wrong types refused with 422. */
final class RequestFields {

    private final JsonNode body;

    private RequestFields(JsonNode body) {
        this.body = body;
    }

    static RequestFields of(byte[] bytes, Set<String> fields) {
        JsonNode body = Json.read(bytes);
        if (!body.isObject()) {
            throw ApiError.schema("invalid_type", null, "the body must be a JSON object, got "
                    + ChatCompletionRequests.kind(body));
        }
        body.fieldNames().forEachRemaining(name -> {
            if (!fields.contains(name)) {
                throw ApiError.schema("unknown_field", name, "unknown field '" + name + "'; the fields are "
                        + String.join(", ", fields.stream().sorted().toList()));
            }
        });
        return new RequestFields(body);
    }

    /** The string {@code name}, or null when it is absent or null. */
    String string(String name) {
        JsonNode value = body.get(name);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw ChatCompletionRequests.typeError(name, "a string", value);
        }
        return value.asText();
    }

    String requiredString(String name) {
        String value = string(name);
        if (value == null) {
            throw ApiError.schema("missing_field", name, "'" + name + "' is required");
        }
        return value;
    }

    Boolean bool(String name) {
        JsonNode value = body.get(name);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isBoolean()) {
            throw ChatCompletionRequests.typeError(name, "a boolean", value);
        }
        return value.asBoolean();
    }

    /** The array of strings {@code name}, or null when it is absent or null. */
    List<String> strings(String name) {
        JsonNode value = body.get(name);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isArray()) {
            throw ChatCompletionRequests.typeError(name, "an array of strings", value);
        }
        List<String> strings = new ArrayList<>();
        for (int i = 0; i < value.size(); i++) {
            if (!value.get(i).isTextual()) {
                throw ChatCompletionRequests.typeError(name + "[" + i + "]", "a string", value.get(i));
            }
            strings.add(value.get(i).asText());
        }
        return strings;
    }

    /** The number {@code name}, or null when it is absent or null. */
    Double number(String name) {
        JsonNode value = body.get(name);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isNumber()) {
            throw ChatCompletionRequests.typeError(name, "a number", value);
        }
        return value.asDouble();
    }

    /** The value {@code name} as sent, or null when it is absent. */
    JsonNode node(String name) {
        return body.get(name);
    }
}

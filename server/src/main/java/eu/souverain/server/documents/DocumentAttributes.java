package eu.souverain.server.documents;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.server.tenancy.TenancyException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A document's attributes as Mistral's Libraries API takes them: a JSON object whose values are
 * each a boolean, a string (a date travels as ISO-8601 text), a number, or an array of strings, of
 * numbers or of booleans. Kept whole with the document, sealed; searches do not filter on them.
 */
final class DocumentAttributes {

    static final int MAX_NAMES = 64;
    static final int MAX_NAME_CHARS = 128;
    /** Their JSON, as kept: a bound on what one document carries beside its text. */
    static final int MAX_BYTES = 16 << 10;

    private static final ObjectMapper JSON = new ObjectMapper();

    private DocumentAttributes() {
    }

    /**
     * {@code attributes} checked, as the JSON to keep; null for none (a JSON null or an empty
     * object). Anything else is refused, naming what is wrong.
     */
    static String checked(JsonNode attributes) {
        if (attributes.isNull() || attributes.isObject() && attributes.isEmpty()) {
            return null;
        }
        if (!attributes.isObject()) {
            throw TenancyException.invalid("attributes", "attributes are a JSON object of names and values");
        }
        if (attributes.size() > MAX_NAMES) {
            throw TenancyException.invalid("attributes", "a document has at most " + MAX_NAMES + " attributes");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = attributes.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> attribute = it.next();
            String name = attribute.getKey();
            if (name.isBlank() || name.length() > MAX_NAME_CHARS) {
                throw TenancyException.invalid("attributes", "an attribute's name has 1 to " + MAX_NAME_CHARS
                        + " characters");
            }
            if (!allowed(attribute.getValue())) {
                throw TenancyException.invalid("attributes", "attribute '" + name + "' is a boolean, a string, a"
                        + " number, or an array of strings, of numbers or of booleans");
            }
        }
        String json = attributes.toString();
        if (json.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            throw TenancyException.invalid("attributes", "a document's attributes take at most " + MAX_BYTES
                    + " bytes of JSON");
        }
        return json;
    }

    private static boolean allowed(JsonNode value) {
        if (value.isBoolean() || value.isTextual() || value.isNumber()) {
            return true;
        }
        if (!value.isArray()) {
            return false;
        }
        // One kind per array, as Mistral types them: List[str], List[int], List[float] or List[bool].
        for (JsonNode item : value) {
            boolean same = value.get(0).isTextual() ? item.isTextual()
                    : value.get(0).isNumber() ? item.isNumber() : value.get(0).isBoolean() && item.isBoolean();
            if (!same) {
                return false;
            }
        }
        return true;
    }

    /** The attributes kept as {@code json}, in their order. */
    static Map<String, Object> read(String json) {
        try {
            return JSON.readValue(json, new TypeReference<LinkedHashMap<String, Object>>() {
            });
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a document's stored attributes are not a JSON object", e);
        }
    }
}

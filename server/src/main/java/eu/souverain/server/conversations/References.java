package eu.souverain.server.conversations;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;

/** An answer's references as the JSON list they are stored in, sealed. */
final class References {

    private static final ObjectMapper JSON = new ObjectMapper();

    private References() {}

    static String json(List<Map<String, Object>> references) {
        try {
            return JSON.writeValueAsString(references);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("an answer's references are JSON values", e);
        }
    }

    /** The list {@link #json} wrote, each reference's fields in their order (Jackson reads objects as linked maps). */
    static List<Map<String, Object>> read(String json) {
        try {
            return JSON.readValue(json, new TypeReference<List<Map<String, Object>>>() {
            });
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored references are not a JSON list of objects", e);
        }
    }
}

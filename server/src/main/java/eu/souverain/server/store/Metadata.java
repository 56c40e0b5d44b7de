package eu.souverain.server.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;

/** A record's metadata (Mistral's and OpenAI's string-to-string maps) as the JSON it is stored in, sealed. */
public final class Metadata {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Metadata() {}

    public static String json(Map<String, String> metadata) {
        try {
            return JSON.writeValueAsString(new LinkedHashMap<>(metadata));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of strings always writes as JSON", e);
        }
    }

    /** The map {@link #json} wrote, in its order. */
    public static Map<String, String> read(String json) {
        try {
            return JSON.readValue(json, new TypeReference<LinkedHashMap<String, String>>() {
            });
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored metadata is not a JSON object of strings", e);
        }
    }
}

package eu.souverain.server.provenance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the server states about one generated text (EU AI Act, Art. 50: machine-readable marking):
 * it is AI-generated, by which model on which backend, where that backend runs, for which
 * organization, when, and the SHA-256 of the exact text. The signature covers {@link #signedBytes},
 * a fixed serialization of these fields and the signing key's id, so that a verifier rebuilds it
 * from the statement alone and no character of it can change unnoticed.
 *
 * @param id           the completion's id ({@code chatcmpl-...}), or the id of what else was generated
 * @param created      seconds since the epoch
 * @param model        the model that wrote the text
 * @param backend      the backend that ran it
 * @param location     where that backend runs: ISO country code and region as declared, or "unknown"
 * @param organization the organization the text was generated for
 * @param sha256       lower-case hex SHA-256 of the text's UTF-8 bytes
 */
public record Statement(String id, long created, String model, String backend, String location, String organization,
                        String sha256) {

    /** Names this format in the signed bytes and on the wire, so a statement cannot pass for another kind. */
    public static final String TYPE = "souverain.provenance.v1";
    private static final ObjectMapper JSON = new ObjectMapper();

    public Statement {
        require(id, "id");
        require(model, "model");
        require(backend, "backend");
        require(location, "location");
        require(organization, "organization");
        require(sha256, "sha256");
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("sha256 must be 64 lower-case hex digits");
        }
    }

    /** A statement about {@code text}. */
    public static Statement of(String id, long created, String model, String backend, String location,
                               String organization, String text) {
        return new Statement(id, created, model, backend, location, organization, sha256(text));
    }

    /** The statement's fields in their fixed order, as they are signed and sent. */
    public Map<String, Object> fields() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("type", TYPE);
        fields.put("ai_generated", true);
        fields.put("id", id);
        fields.put("created", created);
        fields.put("model", model);
        fields.put("backend", backend);
        fields.put("location", location);
        fields.put("organization", organization);
        fields.put("sha256", sha256);
        return fields;
    }

    /** The bytes the signature covers: the fields and the key's id as compact JSON in their fixed order. */
    public byte[] signedBytes(String keyId) {
        Map<String, Object> signed = fields();
        signed.put("key_id", keyId);
        try {
            return JSON.writeValueAsBytes(signed);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("strings and numbers always serialize", e);
        }
    }

    /** Reads the fields back from a statement's JSON; a missing, mistyped or unknown-type field is named. */
    static Statement from(JsonNode json) {
        if (!TYPE.equals(text(json, "type"))) {
            throw new IllegalArgumentException("not a Souverain provenance statement: type is not " + TYPE);
        }
        JsonNode generated = json.get("ai_generated");
        if (generated == null || !generated.isBoolean() || !generated.booleanValue()) {
            throw new IllegalArgumentException("the statement's ai_generated must be true");
        }
        JsonNode created = json.get("created");
        if (created == null || !created.canConvertToExactIntegral() || !created.canConvertToLong()) {
            throw new IllegalArgumentException("the statement's created must be an integer (seconds since the epoch)");
        }
        return new Statement(text(json, "id"), created.longValue(), text(json, "model"), text(json, "backend"),
                text(json, "location"), text(json, "organization"), text(json, "sha256"));
    }

    public static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static String text(JsonNode json, String field) {
        JsonNode value = json.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException("the statement has no " + field + " (a string)");
        }
        return value.textValue();
    }

    private static void require(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("a provenance statement needs its " + name);
        }
    }
}

package eu.souverain.server.provenance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/**
 * A statement with its Ed25519 signature and the id of the key that made it. On the wire it is a
 * JSON object (the statement's fields, then {@code key_id} and {@code signature}); in the
 * {@value #HEADER} header and in copied text it is that JSON in unpadded base64url, one token that
 * survives headers, e-mails and clipboards.
 */
public record SignedStatement(Statement statement, String keyId, byte[] signature) {

    public static final String HEADER = "x-souverain-provenance";
    private static final String BEGIN = "-----BEGIN SOUVERAIN PROVENANCE-----";
    private static final String END = "-----END SOUVERAIN PROVENANCE-----";
    /** What separates a copied text from the statement appended to it. */
    private static final String SEPARATOR = "\n\n" + BEGIN + "\n";
    private static final ObjectMapper JSON = new ObjectMapper();

    public Map<String, Object> json() {
        Map<String, Object> json = statement.fields();
        json.put("key_id", keyId);
        json.put("signature", Base64.getEncoder().encodeToString(signature));
        return json;
    }

    /** The header's value. */
    public String token() {
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(JSON.writeValueAsBytes(json()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("strings and numbers always serialize", e);
        }
    }

    /** {@code text} followed by this statement, as the web app's "Copy with provenance" writes it. */
    public String appendTo(String text) {
        return text + SEPARATOR + token() + "\n" + END + "\n";
    }

    /** A statement from its JSON object; what is missing or malformed is named. */
    public static SignedStatement from(JsonNode json) {
        if (json == null || !json.isObject()) {
            throw new IllegalArgumentException("a provenance statement is a JSON object");
        }
        Statement statement = Statement.from(json);
        JsonNode keyId = json.get("key_id");
        JsonNode signature = json.get("signature");
        if (keyId == null || !keyId.isTextual() || signature == null || !signature.isTextual()) {
            throw new IllegalArgumentException("the statement is not signed: key_id and signature (strings) are missing");
        }
        try {
            return new SignedStatement(statement, keyId.textValue(), Base64.getDecoder().decode(signature.textValue()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the statement's signature is not base64", e);
        }
    }

    /** A statement from a header's value or a copied text's token. */
    public static SignedStatement fromToken(String token) {
        byte[] json;
        try {
            json = Base64.getUrlDecoder().decode(token.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the provenance token is not base64url", e);
        }
        try {
            return from(JSON.readTree(new String(json, StandardCharsets.UTF_8)));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the provenance token does not hold JSON", e);
        }
    }

    /** A copied text and the statement appended to it, or null when the text carries none. */
    public static Attached detach(String copied) {
        int separator = copied.lastIndexOf(SEPARATOR);
        if (separator < 0) {
            return null;
        }
        String rest = copied.substring(separator + SEPARATOR.length());
        int end = rest.indexOf(END);
        if (end < 0) {
            throw new IllegalArgumentException("the provenance block has no " + END + " line");
        }
        return new Attached(copied.substring(0, separator), fromToken(rest.substring(0, end)));
    }

    /** A text as it was generated and the statement that came with it. */
    public record Attached(String text, SignedStatement statement) {}
}

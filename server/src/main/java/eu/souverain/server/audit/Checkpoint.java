package eu.souverain.server.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * A signed statement of the audit log's state: it held {@code entryCount} entries, the last one
 * hashing to {@code headHash}, at {@code at} (milliseconds since the epoch). The signature (Ed25519,
 * base64, with Tink's key-id prefix) covers {@link #signedBytes()}.
 */
public record Checkpoint(long entryCount, String headHash, long at, String keyId, String signature) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the signature covers: a fixed label, then the count, head and time, one per line. */
    public byte[] signedBytes() {
        return signedBytes(entryCount, headHash, at);
    }

    static byte[] signedBytes(long entryCount, String headHash, long at) {
        return ("souverain.audit.checkpoint.v1\n" + entryCount + "\n" + headHash + "\n" + at)
                .getBytes(StandardCharsets.UTF_8);
    }

    /** One JSON object, as the sinks write it. */
    public ObjectNode toJson() {
        return JSON.createObjectNode().put("entry_count", entryCount).put("head_hash", headHash).put("at", at)
                .put("time", Instant.ofEpochMilli(at).toString()).put("key_id", keyId).put("signature", signature);
    }

    /** The checkpoint a sink wrote, or IllegalArgumentException naming the missing field. */
    public static Checkpoint fromJson(JsonNode json) {
        for (String field : new String[] {"entry_count", "head_hash", "at", "key_id", "signature"}) {
            if (!json.hasNonNull(field)) {
                throw new IllegalArgumentException("a checkpoint has no '" + field + "'");
            }
        }
        return new Checkpoint(json.get("entry_count").asLong(), json.get("head_hash").asText(), json.get("at").asLong(),
                json.get("key_id").asText(), json.get("signature").asText());
    }
}

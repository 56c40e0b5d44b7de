package eu.souverain.server.api;

import eu.souverain.server.tenancy.ApiKey;
import eu.souverain.server.tenancy.Organization;
import eu.souverain.server.tenancy.Scope;
import eu.souverain.server.tenancy.User;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Organizations, users and API keys on the wire; times in Unix seconds, as OpenAI's {@code created}. */
final class TenancyJson {

    private TenancyJson() {}

    static Map<String, Object> organization(Organization organization) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("object", "organization");
        json.put("id", organization.id());
        json.put("name", organization.name());
        json.put("created_at", seconds(organization.createdAt()));
        return json;
    }

    static Map<String, Object> user(User user) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("object", "user");
        json.put("id", user.id());
        json.put("organization_id", user.organizationId());
        json.put("email", user.email());
        json.put("role", user.role().wireName());
        json.put("disabled", user.disabled());
        json.put("created_at", seconds(user.createdAt()));
        json.put("last_sign_in_at", seconds(user.lastSignInAt()));
        return json;
    }

    static Map<String, Object> key(ApiKey key) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("object", "api_key");
        json.put("id", key.id());
        json.put("organization_id", key.organizationId());
        json.put("name", key.name());
        json.put("scopes", key.scopes().stream().sorted().map(Scope::wireName).toList());
        json.put("created_by", key.createdBy());
        json.put("created_at", seconds(key.createdAt()));
        json.put("expires_at", seconds(key.expiresAt()));
        json.put("last_used_at", seconds(key.lastUsedAt()));
        json.put("revoked_at", seconds(key.revokedAt()));
        return json;
    }

    static Map<String, Object> list(List<Map<String, Object>> data) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("object", "list");
        json.put("data", data);
        return json;
    }

    private static Long seconds(Instant instant) {
        return instant == null ? null : instant.getEpochSecond();
    }
}

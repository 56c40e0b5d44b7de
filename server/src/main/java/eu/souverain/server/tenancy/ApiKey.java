package eu.souverain.server.tenancy;

import java.time.Instant;
import java.util.Set;

/**
 * An API key as it is listed: everything but its secret, which is never kept.
 *
 * @param createdBy  who created it: a user id, an API key id, {@code cli:<account>} or {@code system}
 * @param expiresAt  when it stops working, or null for never
 * @param lastUsedAt its last use, to the minute, or null
 * @param revokedAt  when it was revoked, or null
 */
public record ApiKey(String id, String organizationId, String name, Set<Scope> scopes, String createdBy,
                     Instant createdAt, Instant expiresAt, Instant lastUsedAt, Instant revokedAt) {

    public ApiKey {
        scopes = Set.copyOf(scopes);
    }
}

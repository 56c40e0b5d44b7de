package eu.souverain.server.tenancy;

import java.time.Instant;

/**
 * @param disabledAt   when it was disabled (it can no longer sign in), or null
 * @param lastSignInAt its last successful sign-in, or null
 */
public record User(String id, String organizationId, String email, Role role, Instant createdAt, Instant disabledAt,
                   Instant lastSignInAt) {

    public boolean disabled() {
        return disabledAt != null;
    }
}

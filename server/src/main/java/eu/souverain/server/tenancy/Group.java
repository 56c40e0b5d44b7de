package eu.souverain.server.tenancy;

import java.time.Instant;
import java.util.List;

/**
 * Users of an organization who share what they may use.
 *
 * @param idpGroup the value of the OpenID provider's groups claim whose holders are its members,
 *                 kept in step at each of their sign-ins; null for a group made by hand
 * @param models   the models its members may use; empty: the group restricts none
 */
public record Group(String id, String organizationId, String name, String idpGroup, List<String> models,
                    List<String> members, Instant createdAt) {
}

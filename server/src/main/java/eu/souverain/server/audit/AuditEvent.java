package eu.souverain.server.audit;

import java.util.Objects;

/**
 * One thing that happened, as the audit log records it: who did what to which resource, through
 * which backend, from where, and how it ended. Never the content of a message or a prompt.
 *
 * @param organizationId the organization acted for, or null for an action outside any (a failed
 *                       sign-in with an unknown account)
 * @param actor          who acted: a user id, an API key id, or "system" for the platform itself
 * @param action         what was done, dotted lowercase, e.g. "auth.login", "keys.create", "model.call"
 * @param resource       what it was done to (an id or a name), or null
 * @param backend        the backend that served a model call, or null
 * @param backendLocation where that backend runs (country, region, operator), or null
 * @param clientIp       the client's address, or null for a command run on the machine
 */
public record AuditEvent(String organizationId, String actor, String action, String resource, String backend,
                         String backendLocation, String clientIp, Outcome outcome) {

    public enum Outcome {
        SUCCESS, FAILURE, DENIED
    }

    public AuditEvent {
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(outcome, "outcome");
    }

    /** An event of {@code actor} in {@code organizationId} with no backend. */
    public static AuditEvent of(String organizationId, String actor, String action, String resource, String clientIp,
                                Outcome outcome) {
        return new AuditEvent(organizationId, actor, action, resource, null, null, clientIp, outcome);
    }
}

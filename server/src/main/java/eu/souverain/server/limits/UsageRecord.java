package eu.souverain.server.limits;

/**
 * One model call as usage accounting keeps it, without content.
 *
 * @param userId          the user it acted for, or null for an API key
 * @param keyId           the API key it came with, or null for a web session
 * @param groupId         the group the user's call is accounted to (the first of theirs by name), or null
 * @param endpoint        chat.completions, completions, fim.completions, embeddings, conversations
 * @param backendLocation where the backend runs, as the report states it
 * @param outcome         completed, refused or failed
 * @param energyWh        an estimate (tokens times the backend's figure set by the operator), or null
 *                        when the operator set no figure for the backend
 */
public record UsageRecord(String id, String organizationId, String userId, String keyId, String groupId,
                          String endpoint, String model,
                          String backend, String backendLocation, long promptTokens, long cachedTokens,
                          long completionTokens, long durationMillis, String outcome, Double energyWh, long at) {}

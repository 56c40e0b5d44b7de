package eu.souverain.server.tenancy;

import java.time.Instant;

public record Organization(String id, String name, Instant createdAt) {
}

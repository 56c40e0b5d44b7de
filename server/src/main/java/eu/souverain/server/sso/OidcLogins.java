package eu.souverain.server.sso;

import eu.souverain.server.store.Database;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Sign-ins under way at the provider, kept in the store so that any server process on the same
 * database can finish one: each state is taken once, and only with the binding cookie of the
 * browser that began it. Owns the table oidc_logins.
 */
final class OidcLogins {

    /** How long a person may spend at the provider's sign-in page. */
    static final Duration LIFETIME = Duration.ofMinutes(10);

    /** A sign-in under way; {@code organizationId}: whose provider began it (null: the server's). */
    record Pending(String nonce, String codeVerifier, URI redirectUri, String organizationId) {
    }

    private final Database database;
    private final Clock clock;

    OidcLogins(Database database, Clock clock) {
        this.database = database;
        this.clock = clock;
    }

    /** Keeps a sign-in under way; {@code organizationId} names the organization whose provider it is (null: the server's). */
    void begin(String state, String binding, String nonce, String codeVerifier, URI redirectUri, String organizationId) {
        long now = clock.millis();
        database.useTransaction(h -> {
            h.createUpdate("DELETE FROM oidc_logins WHERE expires_at <= :now").bind("now", now).execute();
            h.createUpdate("""
                            INSERT INTO oidc_logins (state_hash, binding_hash, nonce, code_verifier, redirect_uri, expires_at,
                                organization_id)
                            VALUES (:state, :binding, :nonce, :verifier, :redirect, :expires, :org)""")
                    .bind("state", sha256(state)).bind("binding", sha256(binding)).bind("nonce", nonce)
                    .bind("verifier", codeVerifier).bind("redirect", redirectUri.toString())
                    .bind("expires", now + LIFETIME.toMillis()).bind("org", organizationId).execute();
        });
    }

    /**
     * The sign-in that {@code state} names, removed so that it cannot be finished twice; empty when
     * it is unknown, taken already, expired, or began in another browser (no or another binding).
     */
    Optional<Pending> take(String state, String binding) {
        if (state == null || binding == null) {
            return Optional.empty();
        }
        long now = clock.millis();
        return database.inTransaction(h -> {
            Optional<Pending> pending = h.createQuery("""
                            SELECT nonce, code_verifier, redirect_uri, organization_id FROM oidc_logins
                            WHERE state_hash = :state AND binding_hash = :binding AND expires_at > :now""")
                    .bind("state", sha256(state)).bind("binding", sha256(binding)).bind("now", now)
                    .map((rs, ctx) -> new Pending(rs.getString("nonce"), rs.getString("code_verifier"),
                            URI.create(rs.getString("redirect_uri")), rs.getString("organization_id")))
                    .findOne();
            // Whoever deletes the row finishes the sign-in: a second process racing on the same state gets 0.
            int taken = h.createUpdate("DELETE FROM oidc_logins WHERE state_hash = :state AND binding_hash = :binding")
                    .bind("state", sha256(state)).bind("binding", sha256(binding)).execute();
            return taken == 1 ? pending : Optional.<Pending>empty();
        });
    }

    /**
     * The organization whose provider began the sign-in {@code state} names, read without taking
     * it, so that the callback goes to that provider, which then takes it ({@link #take}).
     */
    Optional<String> organizationOf(String state) {
        if (state == null) {
            return Optional.empty();
        }
        return database.jdbi().withHandle(h -> h.createQuery(
                        "SELECT organization_id FROM oidc_logins WHERE state_hash = :state AND organization_id IS NOT NULL")
                .bind("state", sha256(state)).mapTo(String.class).findOne());
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

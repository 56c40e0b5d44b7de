package eu.souverain.server.tenancy;

import eu.souverain.server.audit.AuditEvent;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * API keys: {@code sk-souv-<key id>_<secret>}, where the key id ({@code key_} and 17 base62
 * digits) names the key in lists and logs, and the secret is 256 random bits in 43 base62 digits,
 * shown once at creation and never kept.
 *
 * <p>Of the secret only its SHA-256 is stored. A password needs a slow, salted hash because
 * people choose guessable ones; a 256-bit random secret cannot be guessed, so a fast hash is as
 * strong as Argon2 here, a stolen table reveals no usable key, and checking a key on every
 * request costs microseconds.
 *
 * <p>Every request reads its key's row: a revocation or an expiry holds from the next request on,
 * whichever node serves it.
 */
public final class ApiKeys {

    public static final String PREFIX = "sk-souv-";
    /** A key's last use is recorded at most this often, so that busy keys do not write on every request. */
    static final Duration LAST_USED_RESOLUTION = Duration.ofMinutes(1);

    /** A new key, and its whole secret form, shown this once. */
    public record Created(ApiKey key, String secret) {
    }

    private final Tenancy tenancy;

    ApiKeys(Tenancy tenancy) {
        this.tenancy = tenancy;
    }

    /**
     * A new key of {@code organizationId} with {@code scopes}, working for {@code lifetime} (null:
     * until revoked).
     */
    public Created create(String organizationId, String name, Set<Scope> scopes, Duration lifetime, Actor actor) {
        return tenancy.database.inTransaction(h -> create(h, organizationId, name, scopes, lifetime, actor));
    }

    Created create(Handle h, String organizationId, String name, Set<Scope> scopes, Duration lifetime, Actor actor) {
        String checkedName = name == null ? "" : Names.name("name", name);
        if (scopes.isEmpty()) {
            throw TenancyException.invalid("scopes", "a key needs at least one scope: chat, embeddings, admin, audit");
        }
        Instant now = tenancy.clock.instant();
        Instant expiresAt = lifetime == null ? null : now.plus(lifetime);
        if (Organizations.byId(h, organizationId).isEmpty()) {
            throw TenancyException.notFound("organization", organizationId);
        }
        ApiKey key = new ApiKey(Tokens.id("key_"), organizationId, checkedName, scopes, actor.id(), now, expiresAt,
                null, null);
        String secret = Tokens.secret();
        h.createUpdate("""
                        INSERT INTO api_keys (id, organization_id, name, secret_hash, scopes, created_by, created_at,
                            expires_at)
                        VALUES (:id, :org, :name, :hash, :scopes, :by, :at, :expires)""")
                .bind("id", key.id()).bind("org", organizationId).bind("name", checkedName)
                .bind("hash", Tokens.sha256(secret)).bind("scopes", Scope.join(scopes)).bind("by", actor.id())
                .bind("at", now.toEpochMilli()).bind("expires", expiresAt == null ? null : expiresAt.toEpochMilli())
                .execute();
        tenancy.succeeded(h, organizationId, actor, "keys.create", key.id());
        return new Created(key, PREFIX + key.id() + "_" + secret);
    }

    public List<ApiKey> list(String organizationId) {
        return tenancy.database.jdbi().withHandle(h -> h.createQuery(
                        "SELECT * FROM api_keys WHERE organization_id = :org ORDER BY created_at, id")
                .bind("org", organizationId).map(ApiKeys::row).list());
    }

    public ApiKey get(String organizationId, String id, Actor actor) {
        return tenancy.inOrganization("api_keys", "API key", id, organizationId, actor, "keys.read",
                h -> byId(h, id).orElseThrow());
    }

    /** Revokes key {@code id} of {@code organizationId}: it fails from the next request on. Revoking twice changes nothing. */
    public ApiKey revoke(String organizationId, String id, Actor actor) {
        return tenancy.inOrganization("api_keys", "API key", id, organizationId, actor, "keys.revoke",
                h -> revoke(h, id, actor));
    }

    /** Revokes key {@code id} whichever organization it belongs to: for the operator's command line. */
    public ApiKey revoke(String id, Actor actor) {
        return tenancy.database.inTransaction(h -> {
            if (byId(h, id).isEmpty()) {
                throw TenancyException.notFound("API key", id);
            }
            return revoke(h, id, actor);
        });
    }

    private ApiKey revoke(Handle h, String id, Actor actor) {
        h.createUpdate("UPDATE api_keys SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL")
                .bind("now", tenancy.clock.millis()).bind("id", id).execute();
        ApiKey key = byId(h, id).orElseThrow();
        tenancy.succeeded(h, key.organizationId(), actor, "keys.revoke", id);
        return key;
    }

    /**
     * Whom the key {@code presented} acts for. Refused with a reason for a key that is not one,
     * is unknown, has the wrong secret, has expired or was revoked; the last two are told apart
     * only to a holder of the right secret, and audited (a leaked key still being tried is worth
     * knowing). Guesses at unknown keys are not audited: anyone could fill the log with them.
     */
    public Principal authenticate(String presented) {
        return authenticate(presented, null);
    }

    /** {@link #authenticate(String)} for a request from {@code clientIp}. */
    public Principal authenticate(String presented, String clientIp) {
        if (!presented.startsWith(PREFIX)) {
            throw TenancyException.unauthenticated("invalid API key: Souverain keys begin with '" + PREFIX + "'");
        }
        String rest = presented.substring(PREFIX.length());
        int split = rest.lastIndexOf('_');
        if (split < 0 || !rest.startsWith("key_")) {
            throw TenancyException.unauthenticated("invalid API key: not of the form " + PREFIX + "key_<id>_<secret>");
        }
        String id = rest.substring(0, split);
        String secretHash = Tokens.sha256(rest.substring(split + 1));
        Optional<StoredKey> stored = tenancy.database.jdbi().withHandle(h -> h.createQuery(
                        "SELECT * FROM api_keys WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> new StoredKey(row(rs, ctx), rs.getString("secret_hash"))).findOne());
        if (stored.isEmpty() || !Tokens.sameHash(stored.get().secretHash(), secretHash)) {
            throw TenancyException.unauthenticated("invalid API key");
        }
        ApiKey key = stored.get().key();
        Instant now = tenancy.clock.instant();
        if (key.revokedAt() != null) {
            refused(key, clientIp);
            throw TenancyException.unauthenticated("API key " + id + " was revoked");
        }
        if (key.expiresAt() != null && !now.isBefore(key.expiresAt())) {
            refused(key, clientIp);
            throw TenancyException.unauthenticated("API key " + id + " expired at " + key.expiresAt());
        }
        if (key.lastUsedAt() == null || !now.isBefore(key.lastUsedAt().plus(LAST_USED_RESOLUTION))) {
            long stale = now.minus(LAST_USED_RESOLUTION).toEpochMilli();
            // The condition keeps concurrent requests from all writing the same minute.
            tenancy.database.useTransaction(h -> h.createUpdate("""
                            UPDATE api_keys SET last_used_at = :now
                            WHERE id = :id AND (last_used_at IS NULL OR last_used_at <= :stale)""")
                    .bind("now", now.toEpochMilli()).bind("id", id).bind("stale", stale).execute());
        }
        return new Principal(key.organizationId(), key.id(), null, key.scopes());
    }

    private void refused(ApiKey key, String clientIp) {
        tenancy.audit.append(AuditEvent.of(key.organizationId(), key.id(), "auth.key", key.id(), clientIp,
                AuditEvent.Outcome.FAILURE));
    }

    private record StoredKey(ApiKey key, String secretHash) {
    }

    public static Optional<ApiKey> byId(Handle h, String id) {
        return h.createQuery("SELECT * FROM api_keys WHERE id = :id").bind("id", id).map(ApiKeys::row).findOne();
    }

    static ApiKey row(ResultSet rs, StatementContext ctx) throws SQLException {
        return new ApiKey(rs.getString("id"), rs.getString("organization_id"), rs.getString("name"),
                Scope.parseList(rs.getString("scopes")), rs.getString("created_by"),
                Instant.ofEpochMilli(rs.getLong("created_at")), Users.instant(rs, "expires_at"),
                Users.instant(rs, "last_used_at"), Users.instant(rs, "revoked_at"));
    }
}

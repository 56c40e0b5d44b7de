package eu.souverain.server.tenancy;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * The users of each organization. Only an owner may make an owner or change one, and no change
 * may leave an organization without an active owner.
 */
public final class Users {

    /** A new user, and the one-time password made for it (null when the password was given). */
    public record Created(User user, String oneTimePassword) {
    }

    private final Tenancy tenancy;

    Users(Tenancy tenancy) {
        this.tenancy = tenancy;
    }

    /**
     * A new user of {@code organizationId}: with {@code password}, or with a random one-time
     * password returned once when it is null.
     *
     * @param asOwner whether the actor is an owner, who alone may create another owner
     */
    public Created create(String organizationId, String email, Role role, String password, Actor actor, boolean asOwner) {
        if (role == Role.OWNER && !asOwner) {
            throw TenancyException.forbidden("only an owner may create an owner");
        }
        String address = Names.email(email);
        if (password != null) {
            Passwords.requireAcceptable(password);
        }
        String chosen = password != null ? password : Tokens.password();
        // Hashing takes tens of milliseconds: outside the transaction, which holds SQLite's write lock.
        String hash = Passwords.hash(chosen);
        User user = tenancy.database.inTransaction(h -> insert(h, organizationId, address, role, hash, actor));
        return new Created(user, password != null ? null : chosen);
    }

    User insert(Handle h, String organizationId, String email, Role role, String passwordHash, Actor actor) {
        if (Organizations.byId(h, organizationId).isEmpty()) {
            throw TenancyException.notFound("organization", organizationId);
        }
        // One account per address in the whole installation, since signing in names only the address.
        if (h.createQuery("SELECT count(*) FROM users WHERE email = :email").bind("email", email)
                .mapTo(Integer.class).one() > 0) {
            throw TenancyException.conflict("email", "the email address '" + email + "' already has an account");
        }
        User user = new User(Tokens.id("usr_"), organizationId, email, role, tenancy.clock.instant(), null, null);
        h.createUpdate("""
                        INSERT INTO users (id, organization_id, email, role, password_hash, created_at)
                        VALUES (:id, :org, :email, :role, :hash, :at)""")
                .bind("id", user.id()).bind("org", organizationId).bind("email", email).bind("role", role.wireName())
                .bind("hash", passwordHash).bind("at", user.createdAt().toEpochMilli()).execute();
        tenancy.succeeded(h, organizationId, actor, "users.create", user.id());
        return user;
    }

    public List<User> list(String organizationId) {
        return tenancy.database.jdbi().withHandle(h -> h.createQuery(
                        "SELECT * FROM users WHERE organization_id = :org ORDER BY created_at, id")
                .bind("org", organizationId).map(Users::row).list());
    }

    /**
     * The user of {@code organizationId} with the address {@code email} (in any case), if there is
     * one; a user of another organization is none, as is no user.
     */
    public Optional<User> member(String organizationId, String email) {
        String address = Names.email(email == null ? null : email.strip());
        return tenancy.database.jdbi().withHandle(h -> byEmail(h, address))
                .filter(u -> u.organizationId().equals(organizationId));
    }

    public User get(String organizationId, String id, Actor actor) {
        return tenancy.inOrganization("users", "user", id, organizationId, actor, "users.read", h -> byId(h, id).orElseThrow());
    }

    /**
     * Changes the role and/or the disabled state of user {@code id}; a null leaves that one as it
     * is. Disabling ends the user's web sessions.
     */
    public User update(String organizationId, String id, Role role, Boolean disabled, Actor actor, boolean asOwner) {
        return tenancy.inOrganization("users", "user", id, organizationId, actor, "users.update", h -> {
            User user = byId(h, id).orElseThrow();
            Role newRole = role != null ? role : user.role();
            boolean newDisabled = disabled != null ? disabled : user.disabled();
            if ((user.role() == Role.OWNER || newRole == Role.OWNER) && newRole != user.role() && !asOwner) {
                throw TenancyException.forbidden("only an owner may make an owner or change an owner's role");
            }
            if (user.role() == Role.OWNER && newDisabled != user.disabled() && !asOwner) {
                throw TenancyException.forbidden("only an owner may disable or enable an owner");
            }
            if (user.role() == Role.OWNER && !user.disabled() && (newRole != Role.OWNER || newDisabled)) {
                requireAnotherActiveOwner(h, user);
            }
            Long disabledAt = newDisabled ? (user.disabled() ? user.disabledAt().toEpochMilli() : tenancy.clock.millis()) : null;
            h.createUpdate("UPDATE users SET role = :role, disabled_at = :disabled WHERE id = :id")
                    .bind("role", newRole.wireName()).bind("disabled", disabledAt).bind("id", id).execute();
            if (newDisabled) {
                h.createUpdate("DELETE FROM web_sessions WHERE user_id = :id").bind("id", id).execute();
            }
            tenancy.succeeded(h, organizationId, actor, "users.update", id);
            return byId(h, id).orElseThrow();
        });
    }

    /** Deletes user {@code id} and its web sessions; the API keys it created stay, as the organization's. */
    public void delete(String organizationId, String id, Actor actor, boolean asOwner) {
        tenancy.inOrganization("users", "user", id, organizationId, actor, "users.delete", h -> {
            User user = byId(h, id).orElseThrow();
            if (user.role() == Role.OWNER) {
                if (!asOwner) {
                    throw TenancyException.forbidden("only an owner may delete an owner");
                }
                if (!user.disabled()) {
                    requireAnotherActiveOwner(h, user);
                }
            }
            h.createUpdate("DELETE FROM users WHERE id = :id").bind("id", id).execute();
            tenancy.succeeded(h, organizationId, actor, "users.delete", id);
            return user;
        });
    }

    private static void requireAnotherActiveOwner(Handle h, User owner) {
        int owners = h.createQuery("""
                        SELECT count(*) FROM users
                        WHERE organization_id = :org AND role = 'owner' AND disabled_at IS NULL AND id <> :id""")
                .bind("org", owner.organizationId()).bind("id", owner.id()).mapTo(Integer.class).one();
        if (owners == 0) {
            throw TenancyException.conflict("role", "user '" + owner.id() + "' is the organization's last active owner;"
                    + " make another owner first");
        }
    }

    /** The user with this id, read in {@code h}. */
    public static Optional<User> byId(Handle h, String id) {
        return h.createQuery("SELECT * FROM users WHERE id = :id").bind("id", id).map(Users::row).findOne();
    }

    static Optional<User> byEmail(Handle h, String email) {
        return h.createQuery("SELECT * FROM users WHERE email = :email").bind("email", email).map(Users::row).findOne();
    }

    static String passwordHash(Handle h, String userId) {
        return h.createQuery("SELECT password_hash FROM users WHERE id = :id").bind("id", userId)
                .mapTo(String.class).one();
    }

    static User row(ResultSet rs, StatementContext ctx) throws SQLException {
        return new User(rs.getString("id"), rs.getString("organization_id"), rs.getString("email"),
                Role.parse(rs.getString("role")), Instant.ofEpochMilli(rs.getLong("created_at")),
                instant(rs, "disabled_at"), instant(rs, "last_sign_in_at"));
    }

    static Instant instant(ResultSet rs, String column) throws SQLException {
        long millis = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(millis);
    }
}

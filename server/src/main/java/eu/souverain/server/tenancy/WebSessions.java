package eu.souverain.server.tenancy;

import eu.souverain.server.audit.AuditEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Sign-in for the web app: a session named by a random 256-bit token that travels in a cookie
 * (only its SHA-256 is stored), and a CSRF token that every state-changing request of that
 * session must echo in a header. Every sign-in, successful, failed or refused for too many
 * failures, is audited.
 */
public final class WebSessions {

    public static final Duration LIFETIME = Duration.ofHours(12);

    /** A live session: whom it acts as, and the CSRF token its state-changing requests must carry. */
    public record Session(Principal principal, User user, String csrfToken, Instant expiresAt) {
    }

    /** A new session and the token for its cookie, which is not kept. */
    public record SignedIn(String token, Session session) {
    }

    private final Tenancy tenancy;
    private final LoginThrottle throttle;

    WebSessions(Tenancy tenancy, LoginThrottle throttle) {
        this.tenancy = tenancy;
        this.throttle = throttle;
    }

    public SignedIn login(String email, String password, String clientIp) {
        String address = Names.email(email);
        if (password == null || password.length() > Passwords.MAX_LENGTH) {
            throw TenancyException.invalid("password", "the password must be a string of at most "
                    + Passwords.MAX_LENGTH + " characters");
        }
        Optional<User> found = tenancy.database.jdbi().withHandle(h -> Users.byEmail(h, address));
        String organizationId = found.map(User::organizationId).orElse(null);
        String actor = found.map(User::id).orElse("anonymous");
        String resource = found.map(User::id).orElse(address);
        long wait = throttle.retryAfterSeconds(address, String.valueOf(clientIp));
        if (wait > 0) {
            tenancy.audit.append(new AuditEvent(organizationId, actor, "auth.login", resource, null, null, clientIp,
                    AuditEvent.Outcome.DENIED));
            throw TenancyException.tooManyAttempts(wait);
        }
        boolean valid;
        if (found.isEmpty()) {
            Passwords.verifyDecoy(password);
            valid = false;
        } else {
            String hash = tenancy.database.jdbi().withHandle(h -> Users.passwordHash(h, found.get().id()));
            valid = Passwords.verify(password, hash) && !found.get().disabled();
        }
        if (!valid) {
            throttle.failed(address, String.valueOf(clientIp));
            tenancy.audit.append(new AuditEvent(organizationId, actor, "auth.login", resource, null, null, clientIp,
                    AuditEvent.Outcome.FAILURE));
            throw TenancyException.unauthenticated("wrong email or password");
        }
        throttle.succeeded(address);
        User user = found.get();
        if (!tenancy.signIn().passwordsEnabled(user.organizationId())) {
            tenancy.audit.append(new AuditEvent(organizationId, actor, "auth.login", resource, null, null, clientIp,
                    AuditEvent.Outcome.DENIED));
            throw TenancyException.forbidden("this organization signs in through its identity provider only:"
                    + " passwords are switched off");
        }
        return tenancy.database.inTransaction(h -> open(h, user, new Actor(user.id(), clientIp), "auth.login"));
    }

    /** A new session of {@code user}, who has just proven who it is; audited as {@code action}. */
    SignedIn open(org.jdbi.v3.core.Handle h, User user, Actor actor, String action) {
        String token = Tokens.secret();
        String csrf = Tokens.secret();
        Instant now = tenancy.clock.instant();
        Instant expires = now.plus(LIFETIME);
        h.createUpdate("DELETE FROM web_sessions WHERE expires_at <= :now").bind("now", now.toEpochMilli()).execute();
        h.createUpdate("""
                        INSERT INTO web_sessions (token_hash, user_id, csrf_token, created_at, expires_at)
                        VALUES (:hash, :user, :csrf, :at, :expires)""")
                .bind("hash", Tokens.sha256(token)).bind("user", user.id()).bind("csrf", csrf)
                .bind("at", now.toEpochMilli()).bind("expires", expires.toEpochMilli()).execute();
        h.createUpdate("UPDATE users SET last_sign_in_at = :now WHERE id = :id")
                .bind("now", now.toEpochMilli()).bind("id", user.id()).execute();
        tenancy.succeeded(h, user.organizationId(), actor, action, user.id());
        return new SignedIn(token, new Session(principal(user), user, csrf, expires));
    }

    /** The live session whose cookie carries {@code token}: refused when it is unknown, ended or expired, or its user disabled. */
    public Session authenticate(String token) {
        String hash = Tokens.sha256(token);
        Optional<Session> session = tenancy.database.jdbi().withHandle(h -> h.createQuery("""
                        SELECT u.*, s.csrf_token, s.expires_at AS session_expires_at
                        FROM web_sessions s JOIN users u ON u.id = s.user_id
                        WHERE s.token_hash = :hash""")
                .bind("hash", hash)
                .map((rs, ctx) -> {
                    User user = Users.row(rs, ctx);
                    return new Session(principal(user), user, rs.getString("csrf_token"),
                            Instant.ofEpochMilli(rs.getLong("session_expires_at")));
                }).findOne());
        if (session.isEmpty() || !tenancy.clock.instant().isBefore(session.get().expiresAt())
                || session.get().user().disabled()) {
            throw TenancyException.unauthenticated("no session, or it has ended or expired; sign in again");
        }
        return session.get();
    }

    /** Ends the session whose cookie carries {@code token}. */
    public void logout(String token, String clientIp) {
        Session session = authenticate(token);
        tenancy.database.useTransaction(h -> {
            h.createUpdate("DELETE FROM web_sessions WHERE token_hash = :hash").bind("hash", Tokens.sha256(token)).execute();
            tenancy.succeeded(h, session.user().organizationId(), new Actor(session.user().id(), clientIp),
                    "auth.logout", session.user().id());
        });
    }

    /**
     * Changes the password of the session's user, who must give the current one (counted as a
     * sign-in failure when wrong), and ends every other session of that user.
     */
    public void changePassword(String token, String current, String next, String clientIp) {
        Session session = authenticate(token);
        User user = session.user();
        Actor actor = new Actor(user.id(), clientIp);
        long wait = throttle.retryAfterSeconds(user.email(), String.valueOf(clientIp));
        if (wait > 0) {
            tenancy.audit.append(AuditEvent.of(user.organizationId(), user.id(), "auth.password", user.id(), clientIp,
                    AuditEvent.Outcome.DENIED));
            throw TenancyException.tooManyAttempts(wait);
        }
        if (current == null || current.length() > Passwords.MAX_LENGTH) {
            throw TenancyException.invalid("current_password", "the current password must be a string of at most "
                    + Passwords.MAX_LENGTH + " characters");
        }
        if (!tenancy.signIn().passwordsEnabled(user.organizationId())) {
            tenancy.audit.append(AuditEvent.of(user.organizationId(), user.id(), "auth.password", user.id(), clientIp,
                    AuditEvent.Outcome.DENIED));
            throw TenancyException.forbidden("this organization signs in through its identity provider only:"
                    + " passwords are switched off");
        }
        Passwords.requireAcceptable(next);
        String stored = tenancy.database.jdbi().withHandle(h -> Users.passwordHash(h, user.id()));
        if (!Passwords.verify(current, stored)) {
            throttle.failed(user.email(), String.valueOf(clientIp));
            tenancy.audit.append(AuditEvent.of(user.organizationId(), user.id(), "auth.password", user.id(), clientIp,
                    AuditEvent.Outcome.FAILURE));
            throw TenancyException.forbidden("the current password is wrong");
        }
        String hash = Passwords.hash(next);
        tenancy.database.useTransaction(h -> {
            h.createUpdate("UPDATE users SET password_hash = :hash WHERE id = :id")
                    .bind("hash", hash).bind("id", user.id()).execute();
            h.createUpdate("DELETE FROM web_sessions WHERE user_id = :id AND token_hash <> :current")
                    .bind("id", user.id()).bind("current", Tokens.sha256(token)).execute();
            tenancy.succeeded(h, user.organizationId(), actor, "auth.password", user.id());
        });
    }

    private static Principal principal(User user) {
        return new Principal(user.organizationId(), user.id(), user.role(), user.role().scopes());
    }
}

package eu.souverain.server.tenancy;

import eu.souverain.server.audit.AuditEvent;
import java.util.Optional;
import java.util.Set;

/**
 * Sign-ins vouched for by an OpenID provider: the first one provisions the person as a user of the
 * organization it maps to, each one sets the user's role and provider-mirrored groups from the
 * provider's claims, and opens a web session. Owns the table of external identities.
 */
public final class ExternalSignIns {

    /**
     * A person as the provider vouched for them, once their ID token was checked.
     *
     * @param emailVerified whether the provider says it checked the address: only then may an
     *                      existing account with that address be taken over by this identity
     * @param groups        the provider's groups claim, mirrored into groups that name them
     */
    public record Identity(String issuer, String subject, String email, boolean emailVerified, String organizationId,
                           Role role, Set<String> groups) {
    }

    private final Tenancy tenancy;

    ExternalSignIns(Tenancy tenancy) {
        this.tenancy = tenancy;
    }

    /** Signs {@code identity} in, or refuses (audited) when its account is disabled or belongs elsewhere. */
    public WebSessions.SignedIn signIn(Identity identity, String clientIp) {
        String address;
        try {
            address = Names.email(identity.email());
        } catch (TenancyException e) {
            tenancy.audit.append(AuditEvent.of(identity.organizationId(), "sso:" + identity.subject(), "auth.sso",
                    "the email claim is not an address", clientIp, AuditEvent.Outcome.DENIED));
            throw e;
        }
        // Hashed outside the transaction: a password nobody knows, for a user who signs in elsewhere.
        String unusable = Passwords.hash(Tokens.secret());
        Refusal refusal = new Refusal();
        WebSessions.SignedIn signedIn = tenancy.database.inTransaction(h -> {
            Optional<User> linked = h.createQuery("""
                            SELECT u.* FROM external_identities x JOIN users u ON u.id = x.user_id
                            WHERE x.issuer = :issuer AND x.subject = :subject""")
                    .bind("issuer", identity.issuer()).bind("subject", identity.subject()).map(Users::row).findOne();
            User user;
            if (linked.isPresent()) {
                user = linked.get();
            } else {
                Optional<User> sameAddress = Users.byEmail(h, address);
                if (sameAddress.isPresent() && !(identity.emailVerified()
                        && sameAddress.get().organizationId().equals(identity.organizationId()))) {
                    return refusal.of(sameAddress.get().organizationId(), "email " + address
                            + " has an account that this identity may not take over");
                }
                user = sameAddress.orElseGet(() -> tenancy.users().insert(h, identity.organizationId(), address,
                        identity.role(), unusable, new Actor("sso:" + identity.subject(), clientIp)));
                h.createUpdate("""
                                INSERT INTO external_identities (issuer, subject, user_id, created_at)
                                VALUES (:issuer, :subject, :user, :at)""")
                        .bind("issuer", identity.issuer()).bind("subject", identity.subject()).bind("user", user.id())
                        .bind("at", tenancy.clock.millis()).execute();
            }
            if (!user.organizationId().equals(identity.organizationId())) {
                return refusal.of(user.organizationId(), "user " + user.id() + " belongs to another organization"
                        + " than the one the provider's claims map to");
            }
            if (user.disabled()) {
                return refusal.of(user.organizationId(), "user " + user.id() + " is disabled");
            }
            Actor actor = new Actor(user.id(), clientIp);
            if (user.role() != identity.role()) {
                h.createUpdate("UPDATE users SET role = :role WHERE id = :id")
                        .bind("role", identity.role().wireName()).bind("id", user.id()).execute();
                tenancy.succeeded(h, user.organizationId(), actor, "users.update", user.id());
                user = Users.byId(h, user.id()).orElseThrow();
            }
            tenancy.groups().syncFromProvider(h, user.organizationId(), user.id(), identity.groups(), actor);
            return tenancy.sessions().open(h, user, actor, "auth.sso");
        });
        if (signedIn == null) {
            tenancy.audit.append(AuditEvent.of(refusal.organizationId, "sso:" + identity.subject(), "auth.sso",
                    refusal.why, clientIp, AuditEvent.Outcome.DENIED));
            throw TenancyException.forbidden(refusal.why);
        }
        return signedIn;
    }

    /** Why a sign-in was refused inside the transaction, audited once it has rolled back. */
    private static final class Refusal {
        String organizationId;
        String why;

        WebSessions.SignedIn of(String organizationId, String why) {
            this.organizationId = organizationId;
            this.why = why;
            return null;
        }
    }
}

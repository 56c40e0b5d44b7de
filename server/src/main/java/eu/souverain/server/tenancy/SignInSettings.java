package eu.souverain.server.tenancy;

import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * How an organization's users may sign in to the web app: whether local passwords are accepted
 * (they are, unless switched off, which leaves the OpenID provider as the only way in; API keys
 * are not affected). Every change is audited.
 */
public final class SignInSettings {

    private final Tenancy tenancy;

    SignInSettings(Tenancy tenancy) {
        this.tenancy = tenancy;
    }

    public boolean passwordsEnabled(String organizationId) {
        return tenancy.database.jdbi().withHandle(h -> passwordsEnabled(h, organizationId));
    }

    static boolean passwordsEnabled(Handle h, String organizationId) {
        Optional<Boolean> enabled = h.createQuery(
                        "SELECT passwords_enabled FROM sign_in_settings WHERE organization_id = :org")
                .bind("org", organizationId).mapTo(Boolean.class).findOne();
        return enabled.orElse(true);
    }

    public void setPasswordsEnabled(String organizationId, boolean enabled, Actor actor) {
        tenancy.database.useTransaction(h -> {
            h.createUpdate("DELETE FROM sign_in_settings WHERE organization_id = :org").bind("org", organizationId)
                    .execute();
            h.createUpdate("""
                            INSERT INTO sign_in_settings (organization_id, passwords_enabled, updated_at)
                            VALUES (:org, :enabled, :at)""")
                    .bind("org", organizationId).bind("enabled", enabled).bind("at", tenancy.clock.millis()).execute();
            tenancy.succeeded(h, organizationId, actor, enabled ? "sign_in.passwords.enable" : "sign_in.passwords.disable",
                    organizationId);
        });
    }
}

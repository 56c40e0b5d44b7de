package eu.souverain.server.tenancy;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.jdbi.v3.core.Handle;

/**
 * Groups of users and the models each may use. The rule: a user who is a member of at least one
 * group with a model list may use the models of those lists and no other; a user in no such group
 * may use every model served. API keys are the organization's, not a person's: no group restricts
 * them (their scopes do).
 */
public final class Groups {

    /** Longest model name a group may list; longer ones cannot be served anyway. */
    static final int MAX_MODEL_NAME = 256;

    private final Tenancy tenancy;

    Groups(Tenancy tenancy) {
        this.tenancy = tenancy;
    }

    public Group create(String organizationId, String name, String idpGroup, List<String> models, Actor actor) {
        String checked = Names.name("name", name);
        String idp = idpGroup == null ? null : Names.name("idp_group", idpGroup);
        List<String> list = models(models == null ? List.of() : models);
        return tenancy.database.inTransaction(h -> {
            requireFree(h, organizationId, null, checked, idp);
            String id = Tokens.id("grp_");
            h.createUpdate("""
                            INSERT INTO user_groups (id, organization_id, name, idp_group, created_at)
                            VALUES (:id, :org, :name, :idp, :at)""")
                    .bind("id", id).bind("org", organizationId).bind("name", checked).bind("idp", idp)
                    .bind("at", tenancy.clock.millis()).execute();
            setModels(h, id, list);
            tenancy.succeeded(h, organizationId, actor, "groups.create", id);
            return byId(h, id).orElseThrow();
        });
    }

    public List<Group> list(String organizationId) {
        return tenancy.database.jdbi().withHandle(h -> h.createQuery(
                        "SELECT id FROM user_groups WHERE organization_id = :org ORDER BY created_at, id")
                .bind("org", organizationId).mapTo(String.class).list().stream()
                .map(id -> byId(h, id).orElseThrow()).toList());
    }

    public Group get(String organizationId, String id, Actor actor) {
        return tenancy.inOrganization("user_groups", "group", id, organizationId, actor, "groups.read",
                h -> byId(h, id).orElseThrow());
    }

    /**
     * Changes what is given: the name, the provider's group it mirrors (an empty string: none),
     * the models (an empty list: no restriction).
     */
    public Group update(String organizationId, String id, String name, String idpGroup, List<String> models,
                        Actor actor) {
        String checked = name == null ? null : Names.name("name", name);
        String idp = idpGroup == null || idpGroup.isEmpty() ? null : Names.name("idp_group", idpGroup);
        List<String> list = models == null ? null : models(models);
        return tenancy.inOrganization("user_groups", "group", id, organizationId, actor, "groups.update", h -> {
            Group group = byId(h, id).orElseThrow();
            String newName = checked != null ? checked : group.name();
            String newIdp = idpGroup == null ? group.idpGroup() : idp;
            requireFree(h, organizationId, id, newName, newIdp);
            h.createUpdate("UPDATE user_groups SET name = :name, idp_group = :idp WHERE id = :id")
                    .bind("name", newName).bind("idp", newIdp).bind("id", id).execute();
            if (list != null) {
                h.createUpdate("DELETE FROM group_models WHERE group_id = :id").bind("id", id).execute();
                setModels(h, id, list);
            }
            tenancy.succeeded(h, organizationId, actor, "groups.update", id);
            return byId(h, id).orElseThrow();
        });
    }

    public void delete(String organizationId, String id, Actor actor) {
        tenancy.inOrganization("user_groups", "group", id, organizationId, actor, "groups.delete", h -> {
            h.createUpdate("DELETE FROM user_groups WHERE id = :id").bind("id", id).execute();
            tenancy.succeeded(h, organizationId, actor, "groups.delete", id);
            return id;
        });
    }

    /** Makes user {@code userId}, of the same organization, a member of group {@code id}. */
    public Group addMember(String organizationId, String id, String userId, Actor actor) {
        return tenancy.inOrganization("user_groups", "group", id, organizationId, actor, "groups.members.add", h -> {
            Optional<User> user = Users.byId(h, userId).filter(u -> u.organizationId().equals(organizationId));
            if (user.isEmpty()) {
                throw TenancyException.notFound("user", userId);
            }
            h.createUpdate("DELETE FROM group_members WHERE group_id = :group AND user_id = :user")
                    .bind("group", id).bind("user", userId).execute();
            h.createUpdate("INSERT INTO group_members (group_id, user_id) VALUES (:group, :user)")
                    .bind("group", id).bind("user", userId).execute();
            tenancy.succeeded(h, organizationId, actor, "groups.members.add", id + " " + userId);
            return byId(h, id).orElseThrow();
        });
    }

    public Group removeMember(String organizationId, String id, String userId, Actor actor) {
        return tenancy.inOrganization("user_groups", "group", id, organizationId, actor, "groups.members.remove", h -> {
            int removed = h.createUpdate("DELETE FROM group_members WHERE group_id = :group AND user_id = :user")
                    .bind("group", id).bind("user", userId).execute();
            if (removed == 0) {
                throw TenancyException.notFound("member", userId);
            }
            tenancy.succeeded(h, organizationId, actor, "groups.members.remove", id + " " + userId);
            return byId(h, id).orElseThrow();
        });
    }

    /**
     * The models {@code principal} may use, or empty when nothing restricts it (an API key, or a
     * user in no group with a model list).
     */
    public Optional<Set<String>> allowedModels(Principal principal) {
        if (!principal.isUser()) {
            return Optional.empty();
        }
        List<String> rows = tenancy.database.jdbi().withHandle(h -> h.createQuery("""
                        SELECT gm.model FROM group_members m JOIN group_models gm ON gm.group_id = m.group_id
                        WHERE m.user_id = :user""")
                .bind("user", principal.actorId()).mapTo(String.class).list());
        return rows.isEmpty() ? Optional.empty() : Optional.of(Set.copyOf(rows));
    }

    /**
     * The ids of the groups {@code principal} is a member of, by the groups' names: none for an API
     * key. Usage reports account a user's call to the first, so that each call counts in one group.
     */
    public List<String> memberOf(Principal principal) {
        if (!principal.isUser()) {
            return List.of();
        }
        return tenancy.database.jdbi().withHandle(h -> h.createQuery("""
                        SELECT g.id FROM group_members m JOIN user_groups g ON g.id = m.group_id
                        WHERE m.user_id = :user ORDER BY g.name, g.id""")
                .bind("user", principal.actorId()).mapTo(String.class).list());
    }

    /** Whether {@code principal} may use {@code model}, by the rule above. */
    public boolean mayUse(Principal principal, String model) {
        return allowedModels(principal).map(models -> models.contains(model)).orElse(true);
    }

    /**
     * Makes the user's memberships of the groups that mirror a provider group match the groups the
     * provider named at this sign-in; groups made by hand are left as they are.
     */
    void syncFromProvider(Handle h, String organizationId, String userId, Collection<String> providerGroups,
                          Actor actor) {
        List<Group> mirrored = h.createQuery(
                        "SELECT id FROM user_groups WHERE organization_id = :org AND idp_group IS NOT NULL")
                .bind("org", organizationId).mapTo(String.class).list().stream()
                .map(id -> byId(h, id).orElseThrow()).toList();
        for (Group group : mirrored) {
            boolean member = group.members().contains(userId);
            boolean named = providerGroups.contains(group.idpGroup());
            if (named && !member) {
                h.createUpdate("INSERT INTO group_members (group_id, user_id) VALUES (:group, :user)")
                        .bind("group", group.id()).bind("user", userId).execute();
                tenancy.succeeded(h, organizationId, actor, "groups.members.add", group.id() + " " + userId);
            } else if (!named && member) {
                h.createUpdate("DELETE FROM group_members WHERE group_id = :group AND user_id = :user")
                        .bind("group", group.id()).bind("user", userId).execute();
                tenancy.succeeded(h, organizationId, actor, "groups.members.remove", group.id() + " " + userId);
            }
        }
    }

    private static void requireFree(Handle h, String organizationId, String id, String name, String idpGroup) {
        boolean nameTaken = h.createQuery(
                        "SELECT count(*) FROM user_groups WHERE organization_id = :org AND name = :name AND id <> :id")
                .bind("org", organizationId).bind("name", name).bind("id", String.valueOf(id))
                .mapTo(Integer.class).one() > 0;
        if (nameTaken) {
            throw TenancyException.conflict("name", "a group named '" + name + "' exists already");
        }
        if (idpGroup != null && h.createQuery("""
                        SELECT count(*) FROM user_groups
                        WHERE organization_id = :org AND idp_group = :idp AND id <> :id""")
                .bind("org", organizationId).bind("idp", idpGroup).bind("id", String.valueOf(id))
                .mapTo(Integer.class).one() > 0) {
            throw TenancyException.conflict("idp_group", "another group mirrors the provider's group '" + idpGroup + "'");
        }
    }

    private static List<String> models(List<String> models) {
        Set<String> distinct = new TreeSet<>();
        for (String model : models) {
            if (model == null || model.isBlank() || model.length() > MAX_MODEL_NAME) {
                throw TenancyException.invalid("models", "each model must be a non-blank name of at most "
                        + MAX_MODEL_NAME + " characters");
            }
            distinct.add(model);
        }
        return List.copyOf(distinct);
    }

    private static void setModels(Handle h, String id, List<String> models) {
        for (String model : models) {
            h.createUpdate("INSERT INTO group_models (group_id, model) VALUES (:id, :model)")
                    .bind("id", id).bind("model", model).execute();
        }
    }

    private static Optional<Group> byId(Handle h, String id) {
        Optional<Group> row = h.createQuery("SELECT * FROM user_groups WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> new Group(rs.getString("id"), rs.getString("organization_id"), rs.getString("name"),
                        rs.getString("idp_group"), List.of(), List.of(), Instant.ofEpochMilli(rs.getLong("created_at"))))
                .findOne();
        return row.map(g -> new Group(g.id(), g.organizationId(), g.name(), g.idpGroup(),
                h.createQuery("SELECT model FROM group_models WHERE group_id = :id ORDER BY model")
                        .bind("id", id).mapTo(String.class).list(),
                h.createQuery("SELECT user_id FROM group_members WHERE group_id = :id ORDER BY user_id")
                        .bind("id", id).mapTo(String.class).list(),
                g.createdAt()));
    }
}

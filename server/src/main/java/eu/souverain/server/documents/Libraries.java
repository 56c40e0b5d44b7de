package eu.souverain.server.documents;

import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.Labels;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.TenancyException;
import eu.souverain.server.vault.Vault;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/**
 * Document libraries and who may use them, in the tables {@code libraries} and {@code
 * library_shares}. A library is its creator's (a user or an API key) until its owner shares it
 * with the whole organization or with named users of it, as {@link Role#VIEWER} or {@link
 * Role#EDITOR}. A library the caller may not read answers as missing, whatever organization it is
 * in; one the caller may read but not change answers 403 to a change. Names and descriptions are
 * encrypted under the organization's data key.
 */
public final class Libraries {

    public static final int MAX_NAME_CHARS = 200;
    public static final int MAX_DESCRIPTION_CHARS = 2000;

    /** What a caller may do with a library, weakest first. */
    public enum Role {
        VIEWER("Viewer"), EDITOR("Editor"), OWNER("Owner");

        private final String wireName;

        Role(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }

        /** A share's level as Mistral names it: Viewer or Editor. */
        public static Role shareLevel(String level) {
            for (Role role : List.of(VIEWER, EDITOR)) {
                if (role.wireName.equalsIgnoreCase(level)) {
                    return role;
                }
            }
            throw TenancyException.invalid("level", "a share's level is Viewer or Editor, not '" + level + "'");
        }

        boolean atLeast(Role other) {
            return compareTo(other) >= 0;
        }
    }

    /** A library as its readers see it; {@code role} is the caller's. */
    public record Library(String id, String organizationId, String ownerId, boolean ownerIsUser, String name,
                          String description, Integer chunkSize, Role orgRole, Instant createdAt, Instant updatedAt,
                          Role role, int userShares) {
    }

    /** One access to a library: its owner, the organization, or a named user. */
    public record Share(String libraryId, String organizationId, String entityType, String entityId, Role role) {
    }

    private final Database database;
    private final Vault vault;
    private final AuditLog audit;
    private final Clock clock;

    public Libraries(Database database, Vault vault, AuditLog audit, Clock clock) {
        this.database = database;
        this.vault = vault;
        this.audit = audit;
        this.clock = clock;
    }

    /** A new library of {@code caller}, readable by it alone; audited "libraries.create". */
    public Library create(Principal caller, String name, String description, Integer chunkSize, String clientIp) {
        String id = UUID.randomUUID().toString();
        byte[] sealedName = seal(caller.organizationId(), id + "/name", checkedName(name));
        byte[] sealedDescription = description == null ? null
                : seal(caller.organizationId(), id + "/description", checkedDescription(description));
        if (chunkSize != null && (chunkSize < Chunker.MIN_CHARS || chunkSize > Chunker.MAX_CHARS)) {
            throw TenancyException.invalid("chunk_size", "chunk_size is between " + Chunker.MIN_CHARS + " and "
                    + Chunker.MAX_CHARS + " characters, was " + chunkSize);
        }
        long now = clock.millis();
        database.useTransaction(h -> {
            h.createUpdate("""
                            INSERT INTO libraries (id, organization_id, owner_id, owner_is_user, name, description,
                                chunk_size, org_role, created_at, updated_at)
                            VALUES (:id, :org, :owner, :user, :name, :description, :chunk, NULL, :now, :now)""")
                    .bind("id", id).bind("org", caller.organizationId()).bind("owner", caller.actorId())
                    .bind("user", caller.isUser() ? 1 : 0).bind("name", sealedName)
                    .bind("description", sealedDescription).bind("chunk", chunkSize).bind("now", now).execute();
            audit.append(h, AuditEvent.of(caller.organizationId(), caller.actorId(), "libraries.create", id, clientIp,
                    AuditEvent.Outcome.SUCCESS));
        });
        return require(caller, id, Role.VIEWER, null, clientIp);
    }

    /** Every library {@code caller} may read, oldest first. */
    public List<Library> readable(Principal caller) {
        return database.jdbi().withHandle(h -> h.createQuery("""
                        SELECT l.*, s.role AS share_role,
                            (SELECT COUNT(*) FROM library_shares c WHERE c.library_id = l.id) AS user_shares
                        FROM libraries l LEFT JOIN library_shares s ON s.library_id = l.id AND s.user_id = :actor
                        WHERE l.organization_id = :org
                            AND (l.owner_id = :actor OR l.org_role IS NOT NULL OR s.role IS NOT NULL)
                        ORDER BY l.created_at, l.id""")
                .bind("org", caller.organizationId()).bind("actor", caller.actorId())
                .map((rs, ctx) -> library(rs, caller.actorId())).list());
    }

    /** Every library of {@code organizationId}, whoever may read it: for the sovereignty report and export. */
    public List<Library> all(String organizationId) {
        return database.jdbi().withHandle(h -> h.createQuery("""
                        SELECT l.*, NULL AS share_role,
                            (SELECT COUNT(*) FROM library_shares c WHERE c.library_id = l.id) AS user_shares
                        FROM libraries l WHERE l.organization_id = :org ORDER BY l.created_at, l.id""")
                .bind("org", organizationId).map((rs, ctx) -> library(rs, null)).list());
    }

    /**
     * Library {@code id} when {@code caller} has at least {@code needed} on it; a library the caller
     * may not read answers as missing, and one it may read but not change with 403. A refusal is
     * audited with {@code action} when given.
     */
    public Library require(Principal caller, String id, Role needed, String action, String clientIp) {
        Optional<Library> found = find(caller.organizationId(), caller.actorId(), id);
        if (found.isEmpty()) {
            if (action != null) {
                audit.append(AuditEvent.of(caller.organizationId(), caller.actorId(), action, id, clientIp,
                        AuditEvent.Outcome.DENIED));
            }
            throw TenancyException.notFound("library", id);
        }
        Library library = found.get();
        if (!library.role().atLeast(needed)) {
            throw TenancyException.forbidden("this library is shared with you as " + library.role().wireName()
                    + "; " + (needed == Role.OWNER ? "only its owner may do this" : "changing it needs Editor"));
        }
        return library;
    }

    /** Library {@code id} of {@code organizationId} as {@code actorId} sees it, when that actor may read it. */
    Optional<Library> find(String organizationId, String actorId, String id) {
        return database.jdbi().withHandle(h -> h.createQuery("""
                        SELECT l.*, s.role AS share_role,
                            (SELECT COUNT(*) FROM library_shares c WHERE c.library_id = l.id) AS user_shares
                        FROM libraries l LEFT JOIN library_shares s ON s.library_id = l.id AND s.user_id = :actor
                        WHERE l.id = :id AND l.organization_id = :org""")
                .bind("id", id).bind("org", organizationId).bind("actor", actorId)
                .map((rs, ctx) -> library(rs, actorId)).findOne()).filter(l -> l.role() != null);
    }

    /** Renames or describes library {@code id} (null: unchanged); Editors may; audited "libraries.update". */
    public Library update(Principal caller, String id, String name, String description, String clientIp) {
        require(caller, id, Role.EDITOR, "libraries.update", clientIp);
        byte[] sealedName = name == null ? null : seal(caller.organizationId(), id + "/name", checkedName(name));
        byte[] sealedDescription = description == null ? null
                : seal(caller.organizationId(), id + "/description", checkedDescription(description));
        long now = clock.millis();
        database.useTransaction(h -> {
            h.createUpdate("""
                            UPDATE libraries SET name = COALESCE(:name, name),
                                description = COALESCE(:description, description), updated_at = :now WHERE id = :id""")
                    .bind("name", sealedName).bind("description", sealedDescription).bind("now", now).bind("id", id)
                    .execute();
            audit.append(h, AuditEvent.of(caller.organizationId(), caller.actorId(), "libraries.update", id, clientIp,
                    AuditEvent.Outcome.SUCCESS));
        });
        return require(caller, id, Role.VIEWER, null, clientIp);
    }

    /** Marks that library {@code id} changed now (a document added or removed). */
    void touch(Handle h, String id) {
        h.createUpdate("UPDATE libraries SET updated_at = :now WHERE id = :id").bind("now", clock.millis())
                .bind("id", id).execute();
    }

    /** Deletes library {@code id}'s row and its shares in {@code h}'s transaction; its documents go with it. */
    static void delete(Handle h, String id) {
        h.createUpdate("DELETE FROM library_documents WHERE library_id = :id").bind("id", id).execute();
        h.createUpdate("DELETE FROM library_shares WHERE library_id = :id").bind("id", id).execute();
        h.createUpdate("DELETE FROM libraries WHERE id = :id").bind("id", id).execute();
    }

    /** Deletes every library of {@code organizationId}, with its documents and shares; how many libraries. */
    static int deleteAll(Handle h, String organizationId) {
        List<String> ids = h.createQuery("SELECT id FROM libraries WHERE organization_id = :org")
                .bind("org", organizationId).mapTo(String.class).list();
        ids.forEach(id -> delete(h, id));
        return ids.size();
    }

    /**
     * Shares library {@code id} as {@code level} with the organization ({@code entityType} Org) or
     * one of its users (User); only the owner may, and not with itself. Audited "libraries.share".
     */
    public Share share(Principal caller, String id, String entityType, String entityId, Role level, String clientIp) {
        Library library = require(caller, id, Role.OWNER, "libraries.share", clientIp);
        database.useTransaction(h -> {
            switch (entity(entityType)) {
                case "Org" -> {
                    sameOrganization(caller, entityId);
                    h.createUpdate("UPDATE libraries SET org_role = :role WHERE id = :id")
                            .bind("role", level.wireName()).bind("id", id).execute();
                }
                default -> {
                    requireUserOf(h, caller.organizationId(), entityId);
                    if (entityId.equals(library.ownerId())) {
                        throw TenancyException.invalid("share_with_uuid", "the owner of a library cannot change their own role");
                    }
                    h.createUpdate("DELETE FROM library_shares WHERE library_id = :id AND user_id = :user")
                            .bind("id", id).bind("user", entityId).execute();
                    h.createUpdate("INSERT INTO library_shares (library_id, user_id, role) VALUES (:id, :user, :role)")
                            .bind("id", id).bind("user", entityId).bind("role", level.wireName()).execute();
                }
            }
            audit.append(h, AuditEvent.of(caller.organizationId(), caller.actorId(), "libraries.share",
                    id + " " + entity(entityType) + ":" + entityId + " " + level.wireName(), clientIp,
                    AuditEvent.Outcome.SUCCESS));
        });
        return new Share(id, caller.organizationId(), entity(entityType), entityId, level);
    }

    /** Takes back a share of library {@code id}; only the owner may. Audited "libraries.unshare". */
    public Share unshare(Principal caller, String id, String entityType, String entityId, String clientIp) {
        require(caller, id, Role.OWNER, "libraries.unshare", clientIp);
        Share removed = database.inTransaction(h -> {
            Share share;
            if (entity(entityType).equals("Org")) {
                sameOrganization(caller, entityId);
                String role = h.createQuery("SELECT org_role FROM libraries WHERE id = :id").bind("id", id)
                        .mapTo(String.class).findOne().orElse(null);
                if (role == null) {
                    throw TenancyException.notFound("share", entityId);
                }
                h.createUpdate("UPDATE libraries SET org_role = NULL WHERE id = :id").bind("id", id).execute();
                share = new Share(id, caller.organizationId(), "Org", entityId, Role.shareLevel(role));
            } else {
                String role = h.createQuery("SELECT role FROM library_shares WHERE library_id = :id AND user_id = :user")
                        .bind("id", id).bind("user", entityId).mapTo(String.class).findOne()
                        .orElseThrow(() -> TenancyException.notFound("share", entityId));
                h.createUpdate("DELETE FROM library_shares WHERE library_id = :id AND user_id = :user")
                        .bind("id", id).bind("user", entityId).execute();
                share = new Share(id, caller.organizationId(), "User", entityId, Role.shareLevel(role));
            }
            audit.append(h, AuditEvent.of(caller.organizationId(), caller.actorId(), "libraries.unshare",
                    id + " " + share.entityType() + ":" + entityId, clientIp, AuditEvent.Outcome.SUCCESS));
            return share;
        });
        return removed;
    }

    /** Who may use library {@code id}: its owner, the organization if shared with it, then named users. */
    public List<Share> shares(Principal caller, String id, String clientIp) {
        Library library = require(caller, id, Role.VIEWER, "libraries.shares", clientIp);
        List<Share> shares = new ArrayList<>();
        shares.add(new Share(id, library.organizationId(), library.ownerIsUser() ? "User" : "Key", library.ownerId(),
                Role.OWNER));
        if (library.orgRole() != null) {
            shares.add(new Share(id, library.organizationId(), "Org", library.organizationId(), library.orgRole()));
        }
        database.jdbi().useHandle(h -> h.createQuery(
                        "SELECT user_id, role FROM library_shares WHERE library_id = :id ORDER BY user_id")
                .bind("id", id).map((rs, ctx) -> new Share(id, library.organizationId(), "User",
                        rs.getString("user_id"), Role.shareLevel(rs.getString("role")))).forEach(shares::add));
        return shares;
    }

    private static String entity(String entityType) {
        if ("Org".equalsIgnoreCase(entityType)) {
            return "Org";
        }
        if ("User".equalsIgnoreCase(entityType)) {
            return "User";
        }
        throw TenancyException.invalid("share_with_type", "a library is shared with the Org or a User, not '"
                + entityType + "' (a library cannot be shared outside its organization)");
    }

    private static void sameOrganization(Principal caller, String organizationId) {
        if (!caller.organizationId().equals(organizationId)) {
            throw TenancyException.invalid("share_with_uuid", "a library cannot be shared outside its organization");
        }
    }

    /** A user of another organization, or none, is refused alike. */
    private static void requireUserOf(Handle h, String organizationId, String userId) {
        boolean member = h.createQuery("SELECT COUNT(*) FROM users WHERE id = :id AND organization_id = :org")
                .bind("id", userId).bind("org", organizationId).mapTo(Integer.class).one() > 0;
        if (!member) {
            throw TenancyException.invalid("share_with_uuid", "no user " + userId + " in this organization");
        }
    }

    /** A library's row, with {@code actorId}'s role on it (none when null). */
    private Library library(ResultSet rs, String actorId) throws SQLException {
        String id = rs.getString("id");
        String org = rs.getString("organization_id");
        String orgRole = rs.getString("org_role");
        String shareRole = rs.getString("share_role");
        Role role = null;
        if (actorId != null) {
            if (actorId.equals(rs.getString("owner_id"))) {
                role = Role.OWNER;
            } else {
                Role shared = shareRole == null ? null : Role.shareLevel(shareRole);
                Role everyone = orgRole == null ? null : Role.shareLevel(orgRole);
                role = shared == null ? everyone : everyone == null ? shared
                        : shared.atLeast(everyone) ? shared : everyone;
            }
        }
        byte[] description = rs.getBytes("description");
        int chunk = rs.getInt("chunk_size");
        Integer chunkSize = rs.wasNull() ? null : chunk;
        return new Library(id, org, rs.getString("owner_id"), rs.getInt("owner_is_user") == 1,
                open(org, id + "/name", rs.getBytes("name")),
                description == null ? null : open(org, id + "/description", description), chunkSize,
                orgRole == null ? null : Role.shareLevel(orgRole), Instant.ofEpochMilli(rs.getLong("created_at")),
                Instant.ofEpochMilli(rs.getLong("updated_at")), role, rs.getInt("user_shares"));
    }

    private static String checkedName(String name) {
        if (name == null || name.isBlank()) {
            throw TenancyException.invalid("name", "a library needs a name");
        }
        if (name.length() > MAX_NAME_CHARS) {
            throw TenancyException.invalid("name", "a library's name is at most " + MAX_NAME_CHARS + " characters");
        }
        return Labels.checked("name", name);
    }

    private static String checkedDescription(String description) {
        if (description.length() > MAX_DESCRIPTION_CHARS) {
            throw TenancyException.invalid("description", "a description is at most " + MAX_DESCRIPTION_CHARS
                    + " characters");
        }
        return description;
    }

    private byte[] seal(String organizationId, String recordId, String text) {
        return vault.encrypt(organizationId, null, recordId, text.getBytes(StandardCharsets.UTF_8));
    }

    private String open(String organizationId, String recordId, byte[] sealed) {
        return new String(vault.decrypt(organizationId, null, recordId, sealed), StandardCharsets.UTF_8);
    }
}

package eu.souverain.server.sovereignty;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.crypto.tink.PublicKeyVerify;
import eu.souverain.server.audit.AuditVerifier;
import eu.souverain.server.audit.Checkpoint;
import eu.souverain.server.audit.CheckpointSigner;
import eu.souverain.server.audit.CheckpointSink;
import eu.souverain.server.audit.FileSink;
import eu.souverain.server.audit.WebhookSink;
import eu.souverain.server.gateway.Backend;
import eu.souverain.server.gateway.BackendLocation;
import eu.souverain.server.gateway.RemoteBackend;
import eu.souverain.server.privacy.RedactionSettings;
import eu.souverain.server.privacy.Redactions;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.ApiKey;
import eu.souverain.server.tenancy.Tenancy;
import eu.souverain.server.tenancy.User;
import eu.souverain.server.vault.Vault;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The answers to "where is my data hosted, who has access to it, what is the security level?",
 * each read from the running system when asked: the store, the key provider, the audit log and
 * its verification, the backends as configured, the data directory's permissions, Logback's
 * configuration. Nothing in it is typed in by hand.
 */
public final class SovereigntyReport {

    /** How far back backend use is counted. */
    public static final Duration USAGE_WINDOW = Duration.ofDays(30);

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A backend as configured: the local engine or a remote one.
     *
     * @param baseUrl where requests to it go, or null for the engine in this process
     */
    public record DeclaredBackend(String name, boolean remote, URI baseUrl, BackendLocation location, List<String> models) {

        public DeclaredBackend {
            models = List.copyOf(models);
        }

        public static DeclaredBackend of(Backend backend) {
            return new DeclaredBackend(backend.name(), backend.remote(),
                    backend instanceof RemoteBackend r ? r.config().baseUrl() : null, backend.location(),
                    backend.models().stream().map(m -> m.id()).toList());
        }

        public static DeclaredBackend of(RemoteBackend.Config config) {
            return new DeclaredBackend(config.name(), true, config.baseUrl(), config.location(),
                    List.copyOf(config.models().keySet()));
        }
    }

    /**
     * What the installation is made of, as it was started.
     *
     * @param auditKey   checks checkpoint signatures; null when no signing key exists yet
     * @param sinks      where checkpoints are also written
     * @param modelFiles each served model's file, by model name
     * @param listener   the URL the API listens on, or null when the report is made outside the server
     */
    public record Installation(Database database, Path dataDirectory, Vault vault, PublicKeyVerify auditKey,
                               List<CheckpointSink> sinks, List<DeclaredBackend> backends, Map<String, Path> modelFiles,
                               String listener) {

        public Installation {
            sinks = List.copyOf(sinks);
            backends = List.copyOf(backends);
            modelFiles = new LinkedHashMap<>(modelFiles);
        }
    }

    private final Installation installation;
    private final Tenancy tenancy;
    private final Redactions redactions;
    private final Clock clock;

    public SovereigntyReport(Installation installation, Tenancy tenancy, Redactions redactions, Clock clock) {
        this.installation = installation;
        this.tenancy = tenancy;
        this.redactions = redactions;
        this.clock = clock;
    }

    /** The verifier of checkpoints signed with the key in {@code dataDirectory}, or null when there is none yet. */
    public static PublicKeyVerify auditKey(Path dataDirectory) {
        Path signing = dataDirectory.resolve(CheckpointSigner.FILE);
        return Files.exists(signing) ? CheckpointSigner.verifier(CheckpointSigner.open(signing).publicKeyset()) : null;
    }

    /**
     * The report, its organization-scoped parts (backend use, users, keys, data keys, retention,
     * redaction) limited to {@code organizationId}, or covering every organization when it is null.
     */
    public ObjectNode build(String organizationId) {
        Instant now = clock.instant();
        Map<String, String> organizations = organizations(organizationId);
        ObjectNode report = JSON.createObjectNode();
        report.put("generated_at", now.toString());
        ObjectNode scope = report.putObject("scope");
        scope.put("all_organizations", organizationId == null);
        ArrayNode listed = scope.putArray("organizations");
        organizations.forEach((id, name) -> listed.addObject().put("id", id).put("name", name));
        report.set("where", where());
        report.set("backends", backends(organizations, now));
        report.set("access", access(organizations));
        report.set("security", security(organizations, now));
        return report;
    }

    private Map<String, String> organizations(String organizationId) {
        Map<String, String> organizations = new LinkedHashMap<>();
        installation.database().jdbi().useHandle(h -> h.createQuery("SELECT id, name FROM organizations"
                        + (organizationId == null ? "" : " WHERE id = :id") + " ORDER BY created_at, id")
                .bindMap(organizationId == null ? Map.of() : Map.of("id", organizationId))
                .map((rs, ctx) -> Map.entry(rs.getString("id"), rs.getString("name")))
                .forEach(e -> organizations.put(e.getKey(), e.getValue())));
        return organizations;
    }

    private ObjectNode where() {
        Database database = installation.database();
        ObjectNode where = JSON.createObjectNode();
        where.put("host", BackendLocation.hostName());
        where.put("data_directory", installation.dataDirectory().toAbsolutePath().normalize().toString());
        BackendLocation here = installation.backends().stream().filter(b -> !b.remote()).map(DeclaredBackend::location)
                .findFirst().orElse(null);
        where.set("local_engine", here == null ? null : location(here));
        String store = (database.dialect() == Database.Dialect.SQLITE ? "SQLite file " : "PostgreSQL database ")
                + database.location();
        ArrayNode data = where.putArray("data");
        data.addObject().put("category", "conversations and messages").put("location", store)
                .put("protection", "encrypted (" + Vault.ALGORITHM + ")");
        ObjectNode audit = data.addObject().put("category", "audit log").put("location", store)
                .put("protection", "hash-chained, checkpoints signed with Ed25519");
        ArrayNode copies = audit.putArray("checkpoint_copies");
        installation.sinks().forEach(s -> copies.add(s.describe()));
        ObjectNode keys = data.addObject().put("category", "keys");
        keys.put("master_key", installation.vault().report().provider());
        Path signing = installation.dataDirectory().resolve(CheckpointSigner.FILE).toAbsolutePath().normalize();
        keys.put("audit_signing_key", Files.exists(signing) ? "key file " + signing : "not created yet (" + signing + ")");
        ObjectNode models = data.addObject().put("category", "model files");
        ArrayNode files = models.putArray("files");
        installation.modelFiles().forEach((name, path) -> {
            ObjectNode file = files.addObject().put("model", name)
                    .put("path", path.toAbsolutePath().normalize().toString());
            try {
                file.put("bytes", Files.size(path));
            } catch (IOException e) {
                file.putNull("bytes").put("error", "cannot read its size: " + e.getMessage());
            }
        });
        ObjectNode logs = data.addObject().put("category", "operational logs");
        ArrayNode destinations = logs.putArray("destinations");
        LogDestinations.describe().forEach(destinations::add);
        logs.put("level", LogDestinations.level());
        logs.put("content", "never prompt or completion text");
        return where;
    }

    private static ObjectNode location(BackendLocation at) {
        ObjectNode location = JSON.createObjectNode();
        location.put("provider", at.provider()).put("operator", at.operator()).put("country", at.country())
                .put("region", at.region()).put("jurisdiction", at.jurisdiction());
        ArrayNode certifications = location.putArray("certifications");
        at.certifications().forEach(certifications::add);
        location.put("description", at.describe());
        return location;
    }

    /** Calls by backend, organization and outcome, from the audit log's model.call entries. */
    private record Use(String backend, String organizationId, String outcome, long calls, long lastAt) {}

    private ArrayNode backends(Map<String, String> organizations, Instant now) {
        long since = now.minus(USAGE_WINDOW).toEpochMilli();
        List<Use> uses = installation.database().jdbi().withHandle(h -> h.createQuery("""
                        SELECT backend, organization_id, outcome, COUNT(*) AS calls, MAX(at) AS last_at
                        FROM audit_entries WHERE action = 'model.call' AND at >= :since AND backend IS NOT NULL
                        GROUP BY backend, organization_id, outcome ORDER BY backend, organization_id, outcome""")
                .bind("since", since)
                .map((rs, ctx) -> new Use(rs.getString("backend"), rs.getString("organization_id"), rs.getString("outcome"),
                        rs.getLong("calls"), rs.getLong("last_at")))
                .list()).stream().filter(u -> organizations.containsKey(u.organizationId())).toList();
        ArrayNode backends = JSON.createArrayNode();
        List<String> named = new ArrayList<>();
        for (DeclaredBackend declared : installation.backends()) {
            named.add(declared.name());
            ObjectNode backend = backends.addObject().put("name", declared.name()).put("configured", true)
                    .put("remote", declared.remote())
                    .put("base_url", declared.baseUrl() == null ? null : declared.baseUrl().toString());
            backend.set("location", location(declared.location()));
            ArrayNode models = backend.putArray("models");
            declared.models().forEach(models::add);
            usage(backend, declared.name(), uses, organizations);
        }
        // A backend since removed from the configuration still shows where requests went.
        uses.stream().map(Use::backend).distinct().filter(name -> !named.contains(name)).forEach(name -> {
            ObjectNode backend = backends.addObject().put("name", name).put("configured", false);
            usage(backend, name, uses, organizations);
        });
        return backends;
    }

    private static void usage(ObjectNode backend, String name, List<Use> uses, Map<String, String> organizations) {
        ObjectNode usage = backend.putObject("last_30_days");
        Map<String, ObjectNode> byOrganization = new LinkedHashMap<>();
        long requests = 0;
        long refused = 0;
        for (Use use : uses) {
            if (!use.backend().equals(name)) {
                continue;
            }
            ObjectNode organization = byOrganization.computeIfAbsent(use.organizationId(), id -> JSON.createObjectNode()
                    .put("organization_id", id).put("organization", organizations.get(id))
                    .put("requests", 0).put("failed", 0).put("refused", 0));
            switch (use.outcome()) {
                case "DENIED" -> {
                    organization.put("refused", organization.get("refused").asLong() + use.calls());
                    refused += use.calls();
                }
                case "FAILURE" -> {
                    organization.put("failed", organization.get("failed").asLong() + use.calls());
                    organization.put("requests", organization.get("requests").asLong() + use.calls());
                    requests += use.calls();
                }
                default -> {
                    organization.put("requests", organization.get("requests").asLong() + use.calls());
                    requests += use.calls();
                }
            }
            if (!use.outcome().equals("DENIED")) {
                String last = Instant.ofEpochMilli(use.lastAt()).toString();
                if (!organization.has("last_request_at")
                        || organization.get("last_request_at").asText().compareTo(last) < 0) {
                    organization.put("last_request_at", last);
                }
            }
        }
        usage.put("used", requests > 0);
        usage.put("requests", requests);
        usage.put("refused", refused);
        ArrayNode list = usage.putArray("by_organization");
        byOrganization.values().forEach(list::add);
    }

    private ObjectNode access(Map<String, String> organizations) {
        ObjectNode access = JSON.createObjectNode();
        ArrayNode users = access.putArray("users");
        ArrayNode keys = access.putArray("api_keys");
        for (String organizationId : organizations.keySet()) {
            for (User user : tenancy.users().list(organizationId)) {
                users.addObject().put("organization_id", organizationId).put("id", user.id()).put("email", user.email())
                        .put("role", user.role().wireName()).put("disabled", user.disabled())
                        .put("last_sign_in_at", text(user.lastSignInAt()));
            }
            for (ApiKey key : tenancy.keys().list(organizationId)) {
                ObjectNode entry = keys.addObject().put("organization_id", organizationId).put("id", key.id())
                        .put("name", key.name());
                ArrayNode scopes = entry.putArray("scopes");
                key.scopes().stream().map(s -> s.wireName()).sorted().forEach(scopes::add);
                Instant now = clock.instant();
                String state = key.revokedAt() != null ? "revoked"
                        : key.expiresAt() != null && !key.expiresAt().isAfter(now) ? "expired" : "active";
                entry.put("state", state).put("created_at", text(key.createdAt())).put("expires_at", text(key.expiresAt()))
                        .put("last_used_at", text(key.lastUsedAt())).put("revoked_at", text(key.revokedAt()));
            }
        }
        ObjectNode operators = access.putObject("operators");
        try {
            DirectoryAccess directory = DirectoryAccess.of(installation.dataDirectory());
            operators.put("data_directory", directory.directory().toString()).put("owner", directory.owner())
                    .put("group", directory.group()).put("permissions", directory.permissions())
                    .put("every_account", directory.everyone()).put("group_members_known", directory.membersKnown());
            ArrayNode readers = operators.putArray("can_read");
            directory.readers().forEach(readers::add);
        } catch (IOException | UnsupportedOperationException e) {
            operators.put("data_directory", installation.dataDirectory().toAbsolutePath().toString())
                    .put("error", "cannot read its owner and permissions: " + e.getMessage());
        }
        if (installation.database().dialect() == Database.Dialect.POSTGRESQL) {
            operators.put("database", "also whoever administers the PostgreSQL server at "
                    + installation.database().location() + " (the rows are ciphertext without the master key)");
        }
        return access;
    }

    private ObjectNode security(Map<String, String> organizations, Instant now) {
        ObjectNode security = JSON.createObjectNode();
        security.set("encryption", encryption(organizations, now));
        ObjectNode tls = security.putObject("tls");
        tls.put("enabled", false);
        tls.put("listener", installation.listener());
        tls.put("status", installation.listener() == null
                ? "the server's API listens on plain HTTP (the report was made outside it, so no listener is shown)"
                : "plain HTTP: the API at " + installation.listener() + " is not encrypted in transit");
        tls.put("advice", "put a TLS-terminating reverse proxy (nginx, HAProxy, Caddy) or load balancer in front,"
                + " and keep the listener on 127.0.0.1 or a private network");
        security.set("audit", audit());
        security.set("retention", retention(organizations));
        ArrayNode redaction = security.putArray("redaction");
        Map<String, RedactionSettings> settings = redactions.all();
        organizations.forEach((id, name) -> {
            RedactionSettings own = settings.getOrDefault(id, RedactionSettings.OFF);
            ObjectNode entry = redaction.addObject().put("organization_id", id).put("organization", name)
                    .put("enabled", own.enabled());
            ArrayNode kinds = entry.putArray("kinds");
            if (own.enabled()) {
                own.kindNames().forEach(kinds::add);
            }
        });
        ArrayNode outbound = security.putArray("outbound_connections");
        for (DeclaredBackend backend : installation.backends()) {
            if (backend.baseUrl() != null) {
                outbound.addObject().put("purpose", "backend '" + backend.name() + "'")
                        .put("url", backend.baseUrl().toString());
            }
        }
        for (CheckpointSink sink : installation.sinks()) {
            if (sink instanceof WebhookSink webhook) {
                outbound.addObject().put("purpose", "audit checkpoint webhook").put("url", webhook.url().toString());
            }
        }
        String provider = installation.vault().report().provider();
        int at = provider.indexOf(" at ");
        if (provider.startsWith("Vault Transit") && at > 0) {
            outbound.addObject().put("purpose", "master key (Vault Transit)").put("url", provider.substring(at + 4));
        }
        security.put("outbound_note", "nothing else: no telemetry, no update checks");
        return security;
    }

    private ObjectNode encryption(Map<String, String> organizations, Instant now) {
        Vault.KeyReport keys = installation.vault().report();
        ObjectNode encryption = JSON.createObjectNode();
        encryption.put("algorithm", keys.algorithm()).put("key_provider", keys.provider())
                .put("current_master_key", keys.currentMasterKeyId());
        ArrayNode versions = encryption.putArray("master_keys");
        Instant lastRotation = null;
        for (Vault.MasterKeyVersion version : keys.masterKeys()) {
            versions.addObject().put("id", version.id()).put("created_at", text(version.createdAt()))
                    .put("age_days", Duration.between(version.createdAt(), now).toDays())
                    .put("retired_at", text(version.retiredAt()));
        }
        if (keys.masterKeys().size() > 1) {
            lastRotation = keys.masterKeys().getLast().createdAt();
        }
        encryption.put("last_rotation", lastRotation == null ? "never rotated" : lastRotation.toString());
        List<Vault.DataKey> own = keys.dataKeys().stream().filter(k -> organizations.containsKey(k.organizationId()))
                .toList();
        ObjectNode dataKeys = encryption.putObject("data_keys");
        List<Vault.DataKey> live = own.stream().filter(k -> k.destroyedAt() == null).toList();
        dataKeys.put("live", live.size()).put("destroyed", own.size() - live.size());
        Instant oldest = live.stream().map(Vault.DataKey::createdAt).min(Instant::compareTo).orElse(null);
        dataKeys.put("oldest_created_at", text(oldest));
        dataKeys.put("oldest_age_days", oldest == null ? null : Duration.between(oldest, now).toDays());
        dataKeys.put("last_wrapped_at", text(live.stream().map(Vault.DataKey::wrappedAt).max(Instant::compareTo).orElse(null)));
        return encryption;
    }

    private ObjectNode audit() {
        List<Checkpoint> outside = new ArrayList<>();
        ObjectNode audit = JSON.createObjectNode();
        ArrayNode unread = JSON.createArrayNode();
        for (CheckpointSink sink : installation.sinks()) {
            if (sink instanceof FileSink file) {
                try {
                    outside.addAll(file.read());
                } catch (IOException e) {
                    unread.add(sink.describe() + ": " + e.getMessage());
                }
            }
        }
        AuditVerifier.Verification v = new AuditVerifier(installation.database(), installation.auditKey()).verify(outside);
        audit.put("chain_intact", v.ok()).put("entries_checked", v.entriesChecked())
                .put("checkpoints_checked", v.checkpointsChecked());
        if (v.firstBrokenSeq() == null) {
            audit.putNull("first_broken_entry");
        } else {
            audit.put("first_broken_entry", v.firstBrokenSeq());
        }
        audit.put("reason", v.reason());
        Checkpoint last = v.lastCheckpoint();
        if (last == null) {
            audit.putNull("last_signed_checkpoint");
        } else {
            audit.putObject("last_signed_checkpoint").put("at", Instant.ofEpochMilli(last.at()).toString())
                    .put("entry_count", last.entryCount()).put("head_hash", last.headHash()).put("key_id", last.keyId());
        }
        if (!unread.isEmpty()) {
            audit.set("unreadable_sinks", unread);
        }
        return audit;
    }

    /** Each organization's retention in days, when the store keeps retention policies; else "not configured". */
    private ObjectNode retention(Map<String, String> organizations) {
        ObjectNode retention = JSON.createObjectNode();
        Map<String, Integer> days = installation.database().jdbi().<Map<String, Integer>, RuntimeException>withHandle(h -> {
            if (!hasTable(h, "retention_policies")) {
                return null;
            }
            Map<String, Integer> found = new LinkedHashMap<>();
            h.createQuery("SELECT organization_id, days FROM retention_policies")
                    .map((rs, ctx) -> Map.entry(rs.getString("organization_id"), rs.getInt("days")))
                    .forEach(e -> found.put(e.getKey(), e.getValue()));
            return found;
        });
        retention.put("configured", days != null && organizations.keySet().stream().anyMatch(days::containsKey));
        ArrayNode list = retention.putArray("organizations");
        organizations.forEach((id, name) -> {
            ObjectNode entry = list.addObject().put("organization_id", id).put("organization", name);
            Integer kept = days == null ? null : days.get(id);
            if (kept == null) {
                entry.putNull("days").put("status", "not configured: stored messages are kept until erased");
            } else {
                entry.put("days", kept).put("status", "stored messages older than " + kept + " days are purged");
            }
        });
        return retention;
    }

    /** Whether the store has {@code table}: retention is another migration's, and may not be there. */
    private static boolean hasTable(org.jdbi.v3.core.Handle h, String table) {
        try {
            DatabaseMetaData metadata = h.getConnection().getMetaData();
            for (String name : List.of(table, table.toUpperCase(java.util.Locale.ROOT))) {
                try (ResultSet tables = metadata.getTables(null, null, name, null)) {
                    if (tables.next()) {
                        return true;
                    }
                }
            }
            return false;
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot read the store's tables: " + e.getMessage(), e);
        }
    }

    private static String text(Instant instant) {
        return Objects.toString(instant, null);
    }
}

package eu.souverain.server.sovereignty;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.crypto.tink.PublicKeyVerify;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.audit.AuditLog.Use;
import eu.souverain.server.audit.AuditVerifier;
import eu.souverain.server.audit.Checkpoint;
import eu.souverain.server.audit.CheckpointSigner;
import eu.souverain.server.audit.CheckpointSink;
import eu.souverain.server.audit.FileSink;
import eu.souverain.server.audit.WebhookSink;
import eu.souverain.server.backends.Backend;
import eu.souverain.server.backends.BackendLocation;
import eu.souverain.server.backends.RemoteBackend;
import eu.souverain.server.conversations.Conversations;
import eu.souverain.server.privacy.RedactionSettings;
import eu.souverain.server.privacy.Redactions;
import eu.souverain.server.privacy.Retention;
import eu.souverain.server.store.DataDirectory;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.ApiKey;
import eu.souverain.server.tenancy.Organizations;
import eu.souverain.server.tenancy.Scope;
import eu.souverain.server.tenancy.Tenancy;
import eu.souverain.server.tenancy.User;
import eu.souverain.server.vault.Vault;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
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
        return installation.database().jdbi().withHandle(h -> Organizations.names(h, organizationId));
    }

    private ObjectNode where() {
        ObjectNode where = JSON.createObjectNode();
        where.put("host", BackendLocation.hostName());
        where.put("data_directory", installation.dataDirectory().toAbsolutePath().normalize().toString());
        BackendLocation here = localEngine();
        where.set("local_engine", here == null ? null : location(here));
        String store = store();
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

    /** Where the store is, as the report words it: "SQLite file PATH" or "PostgreSQL database URL". */
    private String store() {
        Database database = installation.database();
        return (database.dialect() == Database.Dialect.SQLITE ? "SQLite file " : "PostgreSQL database ")
                + database.location();
    }

    /** The declared location of the engine in this process: the server's own; null when it serves none. */
    private BackendLocation localEngine() {
        return installation.backends().stream().filter(b -> !b.remote()).map(DeclaredBackend::location)
                .findFirst().orElse(null);
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

    private ArrayNode backends(Map<String, String> organizations, Instant now) {
        long since = now.minus(USAGE_WINDOW).toEpochMilli();
        List<Use> uses = installation.database().jdbi().withHandle(h -> AuditLog.modelCallsSince(h, since)).stream()
                .filter(u -> organizations.containsKey(u.organizationId())).toList();
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
                entry.put("state", state(key, clock.instant())).put("created_at", text(key.createdAt()))
                        .put("expires_at", text(key.expiresAt()))
                        .put("last_used_at", text(key.lastUsedAt())).put("revoked_at", text(key.revokedAt()));
            }
        }
        access.set("operators", operators());
        return access;
    }

    /** The host's accounts that can read the data directory, and the database's administrators. */
    private ObjectNode operators() {
        ObjectNode operators = JSON.createObjectNode();
        try {
            DirectoryAccess directory = DirectoryAccess.of(installation.dataDirectory());
            operators.put("data_directory", directory.directory().toString()).put("owner", directory.owner())
                    .put("group", directory.group()).put("permissions", directory.permissions())
                    .put("every_account", directory.everyone()).put("group_members_known", directory.membersKnown());
            ArrayNode readers = operators.putArray("can_read");
            directory.readers().forEach(readers::add);
            DataDirectory.widerThanOwner(installation.dataDirectory())
                    .ifPresent(warning -> operators.put("warning", warning));
        } catch (IOException | UnsupportedOperationException e) {
            operators.put("data_directory", installation.dataDirectory().toAbsolutePath().toString())
                    .put("error", "cannot read its owner and permissions: " + e.getMessage());
        }
        if (installation.database().dialect() == Database.Dialect.POSTGRESQL) {
            operators.put("database", "also whoever administers the PostgreSQL server at "
                    + installation.database().location() + " (the rows are ciphertext without the master key)");
        }
        return operators;
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
        security.set("audit", auditVerification());
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
        for (Vault.MasterKeyVersion version : keys.masterKeys()) {
            versions.addObject().put("id", version.id()).put("created_at", text(version.createdAt()))
                    .put("age_days", Duration.between(version.createdAt(), now).toDays())
                    .put("retired_at", text(version.retiredAt()));
        }
        encryption.put("last_rotation", lastRotation(keys));
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

    private static String lastRotation(Vault.KeyReport keys) {
        return keys.masterKeys().size() > 1 ? keys.masterKeys().getLast().createdAt().toString() : "never rotated";
    }

    /**
     * The audit log verified now, as `./souverain audit verify` does it, with the checkpoints the
     * file sinks hold: the report's {@code security.audit}, and the answer of POST /v1/audit/verify.
     */
    public ObjectNode auditVerification() {
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
        Map<String, Integer> days = installation.database().jdbi().withHandle(Retention::policies).orElse(null);
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


    private static String state(ApiKey key, Instant now) {
        return key.revokedAt() != null ? "revoked"
                : key.expiresAt() != null && !key.expiresAt().isAfter(now) ? "expired" : "active";
    }

    /**
     * The facts of one stored conversation, from the same sources as the report: where its records
     * are, under which data key, who can reach them, and which backend answered each message.
     */
    public ObjectNode conversation(Conversations.Stored stored) {
        Instant now = clock.instant();
        String organizationId = stored.organizationId();
        ObjectNode facts = JSON.createObjectNode();
        facts.put("object", "conversation.sovereignty").put("conversation_id", stored.id())
                .put("generated_at", now.toString());
        facts.putObject("organization").put("id", organizationId)
                .put("name", organizations(organizationId).get(organizationId));

        ObjectNode storage = facts.putObject("storage");
        Database database = installation.database();
        storage.put("kind", database.dialect() == Database.Dialect.SQLITE ? "sqlite" : "postgresql")
                .put("location", store()).put("host", BackendLocation.hostName())
                .put("data_directory", installation.dataDirectory().toAbsolutePath().normalize().toString());
        BackendLocation here = localEngine();
        storage.set("server_location", here == null ? null : location(here));
        storage.put("created_at", text(stored.createdAt())).put("updated_at", text(stored.updatedAt()));

        Vault.KeyReport keys = installation.vault().report();
        ObjectNode encryption = facts.putObject("encryption");
        encryption.put("encrypted", true).put("algorithm", keys.algorithm());
        ArrayNode sealed = encryption.putArray("encrypted_fields");
        List.of("title", "system_prompt", "metadata", "message_contents", "answer_provenance", "answer_references")
                .forEach(sealed::add);
        ArrayNode clear = encryption.putArray("in_clear");
        List.of("ids", "owner", "model", "temperature", "roles", "backends_and_locations", "token_counts", "times")
                .forEach(clear::add);
        ObjectNode dataKey = encryption.putObject("data_key")
                .put("scope", stored.userId() == null ? "organization" : "user").put("organization_id", organizationId)
                .put("user_id", stored.userId());
        keys.dataKeys().stream()
                .filter(k -> k.organizationId().equals(organizationId) && Objects.equals(k.userId(), stored.userId()))
                .findFirst().ifPresent(k -> dataKey.put("key_id", k.keyId()).put("master_key_id", k.masterKeyId())
                        .put("created_at", text(k.createdAt()))
                        .put("age_days", Duration.between(k.createdAt(), now).toDays())
                        .put("wrapped_at", text(k.wrappedAt())).put("destroyed_at", text(k.destroyedAt())));
        encryption.putObject("master_key").put("kind", masterKeyKind(keys.provider())).put("provider", keys.provider())
                .put("current_version", keys.currentMasterKeyId()).put("last_rotation", lastRotation(keys));

        facts.set("access", conversationAccess(stored, now));

        Map<String, DeclaredBackend> backends = new LinkedHashMap<>();
        installation.backends().forEach(b -> backends.put(b.name(), b));
        ArrayNode messages = facts.putArray("messages");
        for (Conversations.StoredMessage m : stored.messages()) {
            ObjectNode message = messages.addObject().put("id", m.id()).put("seq", m.seq()).put("role", m.role())
                    .put("created_at", text(m.createdAt()));
            Conversations.Answer answer = m.answer();
            if (answer != null) {
                message.put("model", answer.model()).put("backend", answer.backend())
                        .put("backend_location", answer.backendLocation());
                DeclaredBackend declared = backends.get(answer.backend());
                message.put("configured", declared != null);
                if (declared != null) {
                    message.put("remote", declared.remote());
                    message.set("location", location(declared.location()));
                }
            }
        }
        return facts;
    }

    /**
     * Who can reach a conversation: its owner; the organization's owners, who may export (read) and
     * erase it; its admins and admin keys, who may erase it and never read it; its auditors and
     * audit keys, who see its audit entries only; and the host's accounts.
     */
    private ObjectNode conversationAccess(Conversations.Stored stored, Instant now) {
        String organizationId = stored.organizationId();
        List<User> users = tenancy.users().list(organizationId);
        List<ApiKey> keys = tenancy.keys().list(organizationId);
        ObjectNode access = JSON.createObjectNode();
        ObjectNode owner = access.putObject("owner");
        if (stored.userId() != null) {
            owner.put("type", "user").put("id", stored.ownerId());
            users.stream().filter(u -> u.id().equals(stored.ownerId())).findFirst()
                    .ifPresent(u -> owner.put("email", u.email()).put("role", u.role().wireName()));
        } else {
            owner.put("type", "api_key").put("id", stored.ownerId());
            keys.stream().filter(k -> k.id().equals(stored.ownerId())).findFirst()
                    .ifPresent(k -> owner.put("name", k.name()).put("state", state(k, now)));
        }
        ObjectNode export = access.putObject("export_and_erase");
        ObjectNode erase = access.putObject("erase_only");
        ObjectNode audit = access.putObject("audit_metadata_only");
        ArrayNode exporters = export.putArray("users");
        ArrayNode erasers = erase.putArray("users");
        ArrayNode auditors = audit.putArray("users");
        for (User user : users) {
            if (user.id().equals(stored.ownerId())) {
                continue;
            }
            ArrayNode list = switch (user.role()) {
                case OWNER -> exporters;
                case ADMIN -> erasers;
                case AUDITOR -> auditors;
                case MEMBER -> null;
            };
            if (list != null) {
                list.addObject().put("id", user.id()).put("email", user.email()).put("role", user.role().wireName())
                        .put("disabled", user.disabled());
            }
        }
        ArrayNode eraserKeys = erase.putArray("api_keys");
        ArrayNode auditorKeys = audit.putArray("api_keys");
        for (ApiKey key : keys) {
            if (key.id().equals(stored.ownerId()) || !state(key, now).equals("active")) {
                continue;
            }
            ArrayNode list = key.scopes().contains(Scope.ADMIN) ? eraserKeys
                    : key.scopes().contains(Scope.AUDIT) ? auditorKeys : null;
            if (list != null) {
                list.addObject().put("id", key.id()).put("name", key.name());
            }
        }
        access.set("operators", operators());
        return access;
    }

    /** What holds the master key: a key file, a Vault Transit key; from the provider's own words. */
    private static String masterKeyKind(String provider) {
        return provider.startsWith("key file") ? "key_file" : provider.startsWith("Vault Transit") ? "transit" : "other";
    }

    private static String text(Instant instant) {
        return Objects.toString(instant, null);
    }
}

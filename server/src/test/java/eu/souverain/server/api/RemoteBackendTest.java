package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.backends.BackendLocation;
import eu.souverain.server.backends.Backends;
import eu.souverain.server.backends.LocalBackend;
import eu.souverain.server.backends.RemoteBackend;
import eu.souverain.server.sovereignty.Residency;
import eu.souverain.server.sovereignty.ResidencyPolicy;
import eu.souverain.server.store.Database;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.Scope;
import eu.souverain.server.tenancy.Tenancy;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A remote backend that is a second, real Souverain server on loopback: answers proxied through
 * the first server match those it gives directly, its failures name it, and each organization's
 * residency policy decides whether a request may reach it.
 */
class RemoteBackendTest {

    @TempDir
    static Path dir;

    private static TestServer second;
    private static TestServer first;
    private static Database database;
    private static LoopbackOnly outbound;
    private static ServerSocket silent;
    private static final List<Socket> held = new CopyOnWriteArrayList<>();
    private static URI secondUrl;
    private static URI downUrl;
    private static URI silentUrl;
    /** An API key with every scope for each organization of the first server's store. */
    private static final Map<String, String> KEYS = new java.util.HashMap<>();

    @BeforeAll
    static void start() throws IOException {
        second = TestServer.bundled();
        secondUrl = URI.create("http://127.0.0.1:" + second.server.port() + "/v1");
        try (ServerSocket free = new ServerSocket(0)) {
            downUrl = URI.create("http://127.0.0.1:" + free.getLocalPort() + "/v1");
        }
        // Accepts connections and never answers them.
        silent = new ServerSocket(0);
        silentUrl = URI.create("http://127.0.0.1:" + silent.getLocalPort() + "/v1");
        Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    held.add(silent.accept());
                }
            } catch (IOException closed) {
                // The test is over.
            }
        });

        database = Database.sqlite(dir.resolve("souverain.db"));
        database.jdbi().useHandle(h -> {
            h.execute("INSERT INTO organizations (id, name, created_at) VALUES ('org_open', 'Open Corp', 1)");
            h.execute("INSERT INTO organizations (id, name, created_at) VALUES ('org_eu', 'EU Corp', 1)");
            h.execute("INSERT INTO organizations (id, name, created_at) VALUES ('org_new', 'New Corp', 1)");
        });
        AuditLog audit = new AuditLog(database, Clock.systemUTC());
        Tenancy tenancy = new Tenancy(database, audit, Clock.systemUTC());
        for (String organization : List.of("org_open", "org_eu", "org_new")) {
            KEYS.put(organization, tenancy.keys().create(organization, "test", EnumSet.allOf(Scope.class), null,
                    Actor.SYSTEM).secret());
        }
        Residency residency = new Residency(database, audit, Clock.systemUTC());
        residency.setPolicy("org_open", new ResidencyPolicy(true, List.of(), List.of(), List.of()), "setup", null);

        BackendLocation us = new BackendLocation("souverain", "Second Corp", "US", "us-east", null, List.of());
        // The remotes' HTTP client takes the JVM's proxy selector when it is built: from then on it records every URI.
        outbound = LoopbackOnly.install();
        List<RemoteBackend> remotes;
        try {
            remotes = List.of(
                    remote("second", secondUrl, second.apiKey, Map.of("remote-stories", "stories260K", "remote-missing", "no-such-model"),
                            us, 60),
                    remote("down", downUrl, null, Map.of("down-model", "m"), us, 60),
                    remote("silent", silentUrl, null, Map.of("silent-model", "m"), us, 1));
        } finally {
            outbound.uninstall();
        }
        ApiServer server = ApiServer.start(new ApiServer.Settings("127.0.0.1", 0, 1 << 20, Duration.ofSeconds(5)), tenancy);
        server.serve(TestServices.of(server, tenancy, database, dir, Clock.systemUTC(), Backends.of(
                LocalBackend.load(Map.of("stories260K", TestServer.BUNDLED_MODEL), 0, 1, 16,
                        new BackendLocation("souverain", "First Host", "FR", null, null, List.of())), remotes)));
        first = new TestServer(server, KEYS.get("org_open"));
    }

    private static RemoteBackend remote(String name, URI url, String apiKey, Map<String, String> models,
                                        BackendLocation location, int timeoutSeconds) {
        return new RemoteBackend(new RemoteBackend.Config(name, RemoteBackend.Kind.OPENAI_COMPATIBLE, url, apiKey, models,
                location, Duration.ofSeconds(timeoutSeconds)));
    }

    @AfterAll
    static void stop() throws IOException {
        first.close();
        second.close();
        silent.close();
        for (Socket socket : held) {
            socket.close();
        }
        database.close();
    }

    private static HttpRequest.Builder request(TestServer server, String path, String organization) {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.uri(path)).header("Content-Type", "application/json");
        // The second server has a store of its own, with its own key; on the first, each organization has a key.
        String key = server == second ? second.apiKey : organization != null ? KEYS.get(organization) : null;
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        return request;
    }

    private static TestServer.Reply post(TestServer server, String path, String json, String organization) {
        return server.send(request(server, path, organization).POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    private static TestServer.Reply put(String json, String organization) {
        return first.send(request(first, "/v1/admin/policy", organization)
                .PUT(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    /** The data of every event of a streamed answer, or the error reply when the server refused to stream. */
    private static List<String> stream(TestServer server, String path, String json, String organization) {
        HttpRequest request = request(server, path, organization).POST(HttpRequest.BodyPublishers.ofString(json)).build();
        HttpResponse<InputStream> response;
        try {
            response = server.client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        assertThat(response.statusCode()).isEqualTo(200);
        try (TestServer.EventReader events = new TestServer.EventReader(response)) {
            List<String> data = new ArrayList<>();
            for (String event; (event = events.next()) != null; ) {
                data.add(event);
            }
            return data;
        }
    }

    private static String chat(String model, String extra) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story\"}],"
                + "\"seed\":42,\"temperature\":0.9,\"max_tokens\":24" + extra + "}";
    }

    @Test
    void aProxiedChatAnswersAsTheRemoteDoesDirectly() {
        TestServer.Reply direct = post(second, "/v1/chat/completions", chat("stories260K", ",\"n\":2"), null);
        TestServer.Reply proxied = post(first, "/v1/chat/completions", chat("remote-stories", ",\"n\":2"), "org_open");
        assertThat(direct.status()).isEqualTo(200);
        assertThat(proxied.status()).as("%s", proxied.body()).isEqualTo(200);
        assertThat(proxied.body().get("model").asText()).isEqualTo("remote-stories");
        for (int i = 0; i < 2; i++) {
            JsonNode want = direct.body().get("choices").get(i);
            JsonNode got = proxied.body().get("choices").get(i);
            assertThat(got.get("message").get("content").asText()).isNotEmpty()
                    .isEqualTo(want.get("message").get("content").asText());
            assertThat(got.get("finish_reason").asText()).isEqualTo(want.get("finish_reason").asText());
        }
        assertThat(direct.body().get("choices").get(0).get("message").get("content").asText())
                .as("two choices, two seeds").isNotEqualTo(direct.body().get("choices").get(1).get("message").get("content").asText());
        for (String field : List.of("prompt_tokens", "completion_tokens", "total_tokens")) {
            assertThat(proxied.body().get("usage").get(field).asInt()).isEqualTo(direct.body().get("usage").get(field).asInt());
        }
    }

    /** The text pieces of a streamed answer in order, then its finish reason and usage, as one list to compare. */
    private static List<String> pieces(List<String> events) {
        List<String> pieces = new ArrayList<>();
        for (String event : events) {
            if (event.equals("[DONE]")) {
                pieces.add("[DONE]");
                continue;
            }
            JsonNode chunk = TestServer.parse(event);
            for (JsonNode choice : chunk.get("choices")) {
                JsonNode content = choice.get("delta").get("content");
                if (content != null && !content.asText().isEmpty()) {
                    pieces.add("text:" + content.asText());
                }
                if (!choice.get("finish_reason").isNull()) {
                    pieces.add("finish:" + choice.get("finish_reason").asText());
                }
            }
            if (chunk.has("usage")) {
                JsonNode usage = chunk.get("usage");
                pieces.add("usage:" + usage.get("prompt_tokens").asInt() + "/" + usage.get("completion_tokens").asInt());
            }
        }
        return pieces;
    }

    @Test
    void aProxiedStreamRelaysEveryPieceWithTheFinishAndUsage() {
        for (String options : List.of(",\"stream\":true", ",\"stream\":true,\"stream_options\":{\"include_usage\":true}")) {
            List<String> direct = pieces(stream(second, "/v1/chat/completions", chat("stories260K", options), null));
            List<String> proxied = pieces(stream(first, "/v1/chat/completions", chat("remote-stories", options), "org_open"));
            assertThat(direct.stream().filter(p -> p.startsWith("text:")).count()).isGreaterThan(5);
            assertThat(proxied).isEqualTo(direct);
            assertThat(proxied.getLast()).isEqualTo("[DONE]");
            assertThat(proxied).anyMatch(p -> p.startsWith("usage:") && !p.endsWith("/0"));
        }
    }

    @Test
    void textCompletionsAndEmbeddingsAreProxiedToo() {
        String prompt = "{\"model\":\"%s\",\"prompt\":\"Once upon a time\",\"seed\":3,\"max_tokens\":16}";
        TestServer.Reply direct = post(second, "/v1/completions", prompt.formatted("stories260K"), null);
        TestServer.Reply proxied = post(first, "/v1/completions", prompt.formatted("remote-stories"), "org_open");
        assertThat(proxied.status()).as("%s", proxied.body()).isEqualTo(200);
        assertThat(proxied.body().get("choices").get(0).get("text").asText()).isNotEmpty()
                .isEqualTo(direct.body().get("choices").get(0).get("text").asText());

        String embed = "{\"model\":\"%s\",\"input\":[\"a cat\",\"a dog\"]}";
        direct = post(second, "/v1/embeddings", embed.formatted("stories260K"), null);
        proxied = post(first, "/v1/embeddings", embed.formatted("remote-stories"), "org_open");
        assertThat(proxied.status()).as("%s", proxied.body()).isEqualTo(200);
        assertThat(proxied.body().get("data")).isEqualTo(direct.body().get("data"));
        assertThat(proxied.body().get("usage").get("prompt_tokens").asInt())
                .isEqualTo(direct.body().get("usage").get("prompt_tokens").asInt()).isPositive();
    }

    @Test
    void aRemoteThatIsDownIs502NamingTheBackend() {
        String message = "backend 'down' cannot be reached at " + downUrl + ": connection refused";
        TestServer.Reply plain = post(first, "/v1/chat/completions", chat("down-model", ""), "org_open");
        assertThat(plain.status()).isEqualTo(502);
        assertThat(plain.body().get("error").get("code").asText()).isEqualTo("bad_gateway");
        assertThat(plain.body().get("error").get("message").asText()).isEqualTo(message);
        TestServer.Reply streamed = post(first, "/v1/chat/completions", chat("down-model", ",\"stream\":true"), "org_open");
        assertThat(streamed.status()).as("refused before the stream opens").isEqualTo(502);
        assertThat(streamed.body().get("error").get("message").asText()).isEqualTo(message);
        TestServer.Reply embed = post(first, "/v1/embeddings", "{\"model\":\"down-model\",\"input\":\"x\"}", "org_open");
        assertThat(embed.status()).isEqualTo(502);
    }

    @Test
    void aRemoteThatDoesNotAnswerIs504AndARemoteErrorIs502() {
        TestServer.Reply slow = post(first, "/v1/chat/completions", chat("silent-model", ""), "org_open");
        assertThat(slow.status()).isEqualTo(504);
        assertThat(slow.body().get("error").get("message").asText()).isEqualTo("backend 'silent' did not answer within 1 s");

        TestServer.Reply missing = post(first, "/v1/chat/completions", chat("remote-missing", ""), "org_open");
        assertThat(missing.status()).isEqualTo(502);
        assertThat(missing.body().get("error").get("message").asText())
                .isEqualTo("backend 'second' answered 404: the model 'no-such-model' does not exist");
    }

    @Test
    void theModelsShowTheirBackendAndWhereItRuns() {
        JsonNode remote = first.send(request(first, "/v1/models/remote-stories", "org_open").GET().build()).body();
        assertThat(remote.get("backend").asText()).isEqualTo("second");
        assertThat(remote.get("owned_by").asText()).isEqualTo("souverain");
        JsonNode location = remote.get("location");
        assertThat(location.get("remote").asBoolean()).isTrue();
        assertThat(location.get("operator").asText()).isEqualTo("Second Corp");
        assertThat(location.get("country").asText()).isEqualTo("US");
        assertThat(location.get("region").asText()).isEqualTo("us-east");
        assertThat(location.get("jurisdiction").asText()).isEqualTo("US");
        assertThat(location.has("warning")).isFalse();
        JsonNode local = first.send(request(first, "/v1/models/stories260K", "org_open").GET().build()).body();
        assertThat(local.get("backend").asText()).isEqualTo("local");
        assertThat(local.get("location").get("remote").asBoolean()).isFalse();
        assertThat(local.get("location").get("jurisdiction").asText()).isEqualTo("EU");
        List<String> ids = new ArrayList<>();
        first.send(request(first, "/v1/models", "org_open").GET().build()).body().get("data").forEach(m -> ids.add(m.get("id").asText()));
        assertThat(ids.getFirst()).as("the local engine's first").isEqualTo("stories260K");
        assertThat(ids).containsExactlyInAnyOrder("stories260K", "remote-stories", "remote-missing", "down-model",
                "silent-model");
    }

    @Test
    void nothingLeavesTheServerButRequestsToConfiguredBackends() {
        post(first, "/v1/chat/completions", chat("remote-stories", ""), "org_open");
        post(first, "/v1/chat/completions", chat("stories260K", ""), "org_open");
        first.send(request(first, "/v1/models", "org_open").GET().build());
        List<URI> sent = outbound.uris();
        assertThat(sent).isNotEmpty();
        assertThat(sent).allSatisfy(uri -> assertThat(List.of(secondUrl, downUrl, silentUrl))
                .anySatisfy(base -> assertThat(uri.toString()).startsWith(base + "/")));
    }

    @Test
    void anEuOnlyOrganizationIsRefusedAUsBackendUntilItsAdminAllowsIt() {
        // No policy yet: the default one lets nothing leave the server.
        TestServer.Reply refused = post(first, "/v1/chat/completions", chat("remote-stories", ""), "org_eu");
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.body().get("error").get("code").asText()).isEqualTo("residency_policy");
        assertThat(refused.body().get("error").get("message").asText()).isEqualTo("organization 'EU Corp' allows no "
                + "remote backend; backend 'second' is remote (US/us-east (US), operator Second Corp, provider souverain)");
        assertThat(post(first, "/v1/chat/completions", chat("stories260K", ""), "org_eu").status()).isEqualTo(200);

        TestServer.Reply set = put("{\"remote_backends\":true,\"jurisdictions\":[\"EU\"]}", "org_eu");
        assertThat(set.status()).as("%s", set.body()).isEqualTo(200);
        assertThat(set.body().get("jurisdictions")).containsExactly(TestServer.JSON.getNodeFactory().textNode("EU"));
        JsonNode backends = set.body().get("backends");
        assertThat(backends.get(0).get("name").asText()).isEqualTo("local");
        assertThat(backends.get(0).get("allowed").asBoolean()).isTrue();
        assertThat(backends.get(1).get("allowed").asBoolean()).isFalse();
        assertThat(backends.get(1).get("refusal").asText()).isEqualTo("the policy allows jurisdictions [EU]; "
                + "backend 'second' is in US");

        String rule = "organization 'EU Corp' allows jurisdictions [EU]; backend 'second' is in US";
        refused = post(first, "/v1/chat/completions", chat("remote-stories", ""), "org_eu");
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.body().get("error").get("message").asText()).isEqualTo(rule);
        TestServer.Reply streamed = post(first, "/v1/chat/completions", chat("remote-stories", ",\"stream\":true"), "org_eu");
        assertThat(streamed.status()).isEqualTo(403);
        TestServer.Reply embed = post(first, "/v1/embeddings", "{\"model\":\"remote-stories\",\"input\":\"x\"}", "org_eu");
        assertThat(embed.status()).isEqualTo(403);
        assertThat(embed.body().get("error").get("message").asText()).isEqualTo(rule);

        List<Map<String, Object>> calls = database.jdbi().withHandle(h -> h.createQuery(
                "SELECT resource, backend, backend_location, outcome FROM audit_entries "
                        + "WHERE organization_id = 'org_eu' AND action = 'model.call' ORDER BY seq").mapToMap().list());
        // Each refusal audited once, where it was refused; the local call that ran, once, as a success.
        assertThat(calls).extracting(c -> c.get("outcome"))
                .containsExactly("DENIED", "SUCCESS", "DENIED", "DENIED", "DENIED");
        List<Map<String, Object>> denials = calls.stream().filter(c -> "DENIED".equals(c.get("outcome"))).toList();
        assertThat(denials).hasSize(4).allSatisfy(d -> {
            assertThat(d.get("outcome")).isEqualTo("DENIED");
            assertThat(d.get("backend")).isEqualTo("second");
            assertThat(d.get("resource")).isEqualTo("remote-stories");
            assertThat((String) d.get("backend_location")).startsWith("US/us-east (US)");
        });

        assertThat(put("{\"remote_backends\":true,\"jurisdictions\":[\"EU\",\"US\"]}", "org_eu").status()).isEqualTo(200);
        TestServer.Reply allowed = post(first, "/v1/chat/completions", chat("remote-stories", ""), "org_eu");
        assertThat(allowed.status()).as("%s", allowed.body()).isEqualTo(200);
        JsonNode policy = first.send(request(first, "/v1/admin/policy", "org_eu").GET().build()).body();
        assertThat(policy.get("remote_backends").asBoolean()).isTrue();
        assertThat(policy.get("jurisdictions")).hasSize(2);
        JsonNode remote = policy.get("backends").get(1);
        assertThat(remote.get("name").asText()).isEqualTo("second");
        assertThat(remote.get("remote").asBoolean()).isTrue();
        assertThat(remote.get("models")).extracting(JsonNode::asText).contains("remote-stories");
        assertThat(policy.get("backends").get(0).get("remote").asBoolean()).isFalse();
        int updates = database.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM audit_entries WHERE "
                + "organization_id = 'org_eu' AND action = 'residency.policy.update'").mapTo(Integer.class).one());
        assertThat(updates).isEqualTo(2);
    }

    @Test
    void anOrganizationWithoutAPolicyMayUseOnlyTheLocalEngine() {
        TestServer.Reply refused = post(first, "/v1/chat/completions", chat("remote-stories", ""), "org_new");
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.body().get("error").get("message").asText()).contains("allows no remote backend");
        assertThat(post(first, "/v1/chat/completions", chat("stories260K", ""), "org_new").status()).isEqualTo(200);
    }

    @Test
    void thePolicyRoutesRefuseBadInput() {
        assertThat(put("{}", "org_open").body().get("error").get("param").asText()).isEqualTo("remote_backends");
        assertThat(put("{\"remote_backends\":\"yes\"}", "org_open").status()).isEqualTo(422);
        assertThat(put("{\"remote_backends\":true,\"regions\":[]}", "org_open").status()).isEqualTo(422);
        assertThat(put("{\"remote_backends\":true,\"countries\":\"FR\"}", "org_open").status()).isEqualTo(422);
        TestServer.Reply country = put("{\"remote_backends\":true,\"countries\":[\"France\"]}", "org_open");
        assertThat(country.status()).isEqualTo(400);
        assertThat(country.body().get("error").get("message").asText()).contains("country 'France' is not an ISO 3166");
        assertThat(put("not json", "org_open").status()).isEqualTo(400);
        // Nothing of that changed the policy.
        JsonNode policy = first.send(request(first, "/v1/admin/policy", "org_open").GET().build()).body();
        assertThat(policy.get("remote_backends").asBoolean()).isTrue();
        assertThat(policy.get("countries")).isEmpty();
    }
}

package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.backends.BackendLocation;
import eu.souverain.server.backends.Backends;
import eu.souverain.server.backends.LocalBackend;
import eu.souverain.server.backends.RemoteBackend;
import eu.souverain.server.catalogue.CatalogueStore;
import eu.souverain.server.limits.Metering;
import eu.souverain.server.privacy.Privacy;
import eu.souverain.server.privacy.Redactions;
import eu.souverain.server.provenance.ProvenanceSigner;
import eu.souverain.server.sovereignty.Residency;
import eu.souverain.server.sovereignty.ResidencyPolicy;
import eu.souverain.server.store.TestDatabases;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.Role;
import eu.souverain.server.tenancy.Scope;
import eu.souverain.server.vault.Vault;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redaction of calls to a remote backend, against a loopback stand-in remote that records every
 * body it receives and answers by echoing the prompt's last text back, a few characters per
 * event, so that placeholders arrive split across pieces: what leaves carries placeholders only,
 * and the client reads its own values back.
 */
class RemoteRedactionTest {

    private static final String EMAIL = "jeanne.martin@example.fr";
    private static final String IBAN = "FR76 3000 6000 0112 3456 7890 189";
    private static final String PHONE = "06 12 34 56 78";
    private static final String PROMPT = "Write to " + EMAIL + " about IBAN " + IBAN + ", or call " + PHONE + ".";

    @TempDir
    Path dir;

    private TenancyFixture f;
    private HttpServer remote;
    private final List<JsonNode> received = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        remote = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        remote.createContext("/v1/", this::echo);
        remote.start();
        f = new TenancyFixture(TestDatabases.SQLITE, dir);
        AuditLog audit = new AuditLog(f.database, f.clock);
        Residency residency = new Residency(f.database, audit, f.clock);
        residency.setPolicy(f.orgA.id(), new ResidencyPolicy(true, List.of(), List.of(), List.of()), "setup", null);
        BackendLocation fr = new BackendLocation("vllm", "Remote SAS", "FR", null, null, List.of());
        RemoteBackend standIn = new RemoteBackend(new RemoteBackend.Config("stand-in", RemoteBackend.Kind.OPENAI_COMPATIBLE,
                URI.create("http://127.0.0.1:" + remote.getAddress().getPort() + "/v1"), "remote-secret",
                Map.of("echo", "echo-model"), fr, Duration.ofSeconds(30)));
        Backends backends = Backends.of(LocalBackend.load(Map.of("stories260K", TestServer.BUNDLED_MODEL), 0, 1, 4),
                List.of(standIn));
        Vault vault = TestServices.vault(f.database, dir, audit, f.clock);
        Redactions redactions = new Redactions(f.database, audit, f.clock);
        f.server.serve(new ApiServer.Services(backends, residency, Privacy.open(f.database, vault, audit, f.clock),
                redactions, TestServices.report(f.server, f.tenancy, f.database, dir, vault, redactions, f.clock, backends),
                new Metering(f.database, audit, f.clock), ProvenanceSigner.open(dir.resolve(ProvenanceSigner.FILE)),
                new CatalogueStore(f.database, audit, vault, f.clock),
                TestServices.documents(f.database, vault, audit, f.clock, dir)));
    }

    @AfterEach
    void stop() {
        f.close();
        remote.stop(0);
    }

    /** Answers a streamed chat or completion with the last message's content (or the prompt), three characters an event. */
    private void echo(HttpExchange exchange) throws IOException {
        JsonNode body = TestServer.parse(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        received.add(body);
        boolean chat = exchange.getRequestURI().getPath().endsWith("/chat/completions");
        String text = chat ? body.get("messages").get(body.get("messages").size() - 1).get("content").asText()
                : body.get("prompt").asText();
        exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            for (int i = 0; i < text.length(); i += 3) {
                String piece = text.substring(i, Math.min(text.length(), i + 3));
                ObjectNode event = TestServer.JSON.createObjectNode();
                ObjectNode choice = event.putArray("choices").addObject().put("index", 0);
                if (chat) {
                    choice.putObject("delta").put("content", piece);
                } else {
                    choice.put("text", piece);
                }
                out.write(("data: " + event + "\n\n").getBytes(StandardCharsets.UTF_8));
            }
            out.write(("data: {\"choices\":[{\"index\":0,\"finish_reason\":\"stop\"" + (chat ? ",\"delta\":{}" : "")
                    + "}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7}}\n\ndata: [DONE]\n\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
    }

    private static String chat(String content, boolean stream) {
        return "{\"model\":\"echo\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"system\",\"content\":\"Reply to "
                + EMAIL + ".\"},{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
    }

    private TestServer.Reply putRedaction(TestServer as, String json) {
        return as.send(HttpRequest.newBuilder(as.uri("/v1/admin/redaction")).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    private static String streamedText(List<String> events) {
        StringBuilder text = new StringBuilder();
        for (String data : events) {
            if (!data.equals("[DONE]")) {
                JsonNode choices = TestServer.parse(data).path("choices");
                if (!choices.isEmpty()) {
                    text.append(choices.get(0).path("delta").path("content").asText(""));
                }
            }
        }
        return text.toString();
    }

    @Test
    void offByDefaultTheRemoteReceivesTheTextAsItIs() {
        TestServer.Reply reply = f.a.post(chat(PROMPT, false));
        assertThat(reply.status()).as("%s", reply.body()).isEqualTo(200);
        assertThat(received).hasSize(1);
        assertThat(received.getFirst().toString()).contains(EMAIL, IBAN, PHONE);
        assertThat(f.a.get("/v1/admin/redaction").body().get("enabled").asBoolean()).isFalse();
    }

    @Test
    void theRemoteReceivesPlaceholdersAndTheClientItsValues() {
        TestServer.Reply set = putRedaction(f.a, "{\"enabled\":true}");
        assertThat(set.status()).as("%s", set.body()).isEqualTo(200);
        assertThat(set.body().get("kinds")).hasSize(6);

        TestServer.Reply whole = f.a.post(chat(PROMPT, false));
        assertThat(whole.status()).as("%s", whole.body()).isEqualTo(200);
        assertThat(whole.body().get("choices").get(0).get("message").get("content").asText()).isEqualTo(PROMPT);

        String streamed = streamedText(f.a.stream(chat(PROMPT, true)));
        assertThat(streamed).isEqualTo(PROMPT);

        TestServer.Reply completion = f.a.post("/v1/completions",
                "{\"model\":\"echo\",\"prompt\":\"" + PROMPT + "\",\"max_tokens\":50}");
        assertThat(completion.status()).as("%s", completion.body()).isEqualTo(200);
        assertThat(completion.body().get("choices").get(0).get("text").asText()).isEqualTo(PROMPT);

        assertThat(received).hasSize(3);
        for (JsonNode body : received) {
            String sent = body.toString();
            assertThat(sent).doesNotContain(EMAIL, IBAN, PHONE, "jeanne", "3456 7890");
            assertThat(sent).contains("[EMAIL_1]", "[IBAN_1]", "[PHONE_1]");
        }
        // The system message and the user's share a numbering: one address, one placeholder.
        assertThat(received.getFirst().get("messages").get(0).get("content").asText()).isEqualTo("Reply to [EMAIL_1].");
    }

    @Test
    void onlyTheChosenKindsAreRedacted() {
        assertThat(putRedaction(f.a, "{\"enabled\":true,\"kinds\":[\"email\"]}").status()).isEqualTo(200);
        TestServer.Reply reply = f.a.post(chat(PROMPT, false));
        assertThat(reply.body().get("choices").get(0).get("message").get("content").asText()).isEqualTo(PROMPT);
        String sent = received.getFirst().toString();
        assertThat(sent).doesNotContain(EMAIL).contains("[EMAIL_1]", IBAN, PHONE);
        assertThat(f.a.get("/v1/admin/redaction").body().get("kinds").toString()).isEqualTo("[\"email\"]");
    }

    @Test
    void settingsBelongToTheirOrganization() {
        assertThat(putRedaction(f.a, "{\"enabled\":true}").status()).isEqualTo(200);
        assertThat(f.b.get("/v1/admin/redaction").body().get("enabled").asBoolean()).isFalse();
        assertThat(f.a.get("/v1/admin/redaction").body().get("enabled").asBoolean()).isTrue();
        assertThat(f.audit("redaction.settings.update", "SUCCESS")).hasSize(1)
                .allSatisfy(e -> assertThat(e.get("organization_id")).isEqualTo(f.orgA.id()));
    }

    @Test
    void onlyAdminsChangeThemAndBadInputIsNamed() {
        f.tenancy.users().create(f.orgA.id(), "member@a.example", Role.MEMBER, TenancyFixture.PASSWORD, Actor.SYSTEM, true);
        TestServer.Reply login = f.login("member@a.example", TenancyFixture.PASSWORD);
        TestServer member = TestServer.signedIn(f.server, TenancyFixture.cookie(login), login.body().get("csrf_token").asText());
        assertThat(putRedaction(member, "{\"enabled\":true}").status()).isEqualTo(403);
        assertThat(member.get("/v1/admin/redaction").status()).isEqualTo(403);
        assertThat(putRedaction(f.withScopes(Scope.AUDIT), "{\"enabled\":true}").status()).isEqualTo(403);

        List<String> messages = new ArrayList<>();
        for (String bad : List.of("{}", "{\"enabled\":\"yes\"}", "{\"enabled\":true,\"kinds\":[\"passport\"]}",
                "{\"enabled\":true,\"kinds\":[]}", "{\"enabled\":true,\"colour\":1}", "not json")) {
            TestServer.Reply reply = putRedaction(f.a, bad);
            assertThat(reply.status()).as(bad).isIn(400, 422);
            messages.add(TenancyFixture.error(reply).get("message").asText());
        }
        assertThat(messages.get(2)).contains("passport", "email");
        assertThat(messages.get(3)).contains("at least one");
        assertThat(f.a.get("/v1/admin/redaction").body().get("enabled").asBoolean()).isFalse();
    }

    @Test
    void theLocalEngineReadsTheOriginalText() {
        String local = "{\"model\":\"stories260K\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\","
                + "\"content\":\"" + PROMPT + "\"}]}";
        int before = f.a.post(local).body().get("usage").get("prompt_tokens").asInt();
        assertThat(putRedaction(f.a, "{\"enabled\":true}").status()).isEqualTo(200);
        TestServer.Reply reply = f.a.post(local);
        assertThat(reply.status()).isEqualTo(200);
        // Placeholders would tokenize to another count than the address, IBAN and number they stand for.
        assertThat(reply.body().get("usage").get("prompt_tokens").asInt()).isEqualTo(before);
        assertThat(received).isEmpty();
    }
}

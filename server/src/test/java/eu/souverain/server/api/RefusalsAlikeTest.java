package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.server.audit.AuditEntry;
import eu.souverain.server.backends.LocalBackend;
import eu.souverain.server.store.TestDatabases;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.Role;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a refusal gives away, tried from outside: an id of another organization and an id that
 * exists nowhere are refused doing the same work (the same answer, each audited alike), a CSRF
 * refusal of a signed-in session is audited, no label takes characters that change how it reads,
 * and no route answers its content or its existence to HEAD without credentials.
 */
class RefusalsAlikeTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private TenancyFixture serving() throws IOException {
        TenancyFixture f = new TenancyFixture(TestDatabases.SQLITE, dir);
        f.server.serve(TestServices.of(f.server, f.tenancy, f.database, dir, f.clock,
                LocalBackend.load(Map.of("stories260K", TestServer.BUNDLED_MODEL),
                        new LocalBackend.Settings(0, 1, 16, 4, 0, null))));
        return f;
    }

    private static TestServer.Reply send(TestServer as, String method, String path, String body) {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body);
        return as.send(HttpRequest.newBuilder(as.uri(path)).header("Content-Type", "application/json")
                .method(method, publisher).build());
    }

    private static List<AuditEntry> audit(TenancyFixture f, String organizationId) {
        return f.tenancy.audit().newestFirst(organizationId, false, null, 1000);
    }

    /** The same id with its letters changed: an id of the same shape that exists nowhere. */
    private static String nowhere(String id) {
        int sep = id.indexOf('_');
        return id.substring(0, sep + 1) + new StringBuilder(id.substring(sep + 1)).reverse().toString().replace('a', 'b');
    }

    @Test
    void anIdOfAnotherOrganizationIsRefusedDoingWhatAnIdOfNoneDoes() throws IOException {
        try (TenancyFixture f = serving()) {
            String keyOfA = f.tenancy.keys().create(f.orgA.id(), "k", java.util.Set.of(eu.souverain.server.tenancy.Scope.CHAT),
                    null, Actor.SYSTEM).key().id();
            String conversationOfA = f.a.post("/v1/conversations", "{\"title\": \"A's\"}").body().get("id").asText();
            record Probe(String method, String path, String body) {}
            List<Probe> probes = List.of(
                    new Probe("GET", "/v1/admin/users/%s", null),
                    new Probe("PATCH", "/v1/admin/users/%s", "{\"disabled\": true}"),
                    new Probe("DELETE", "/v1/admin/users/%s", null),
                    new Probe("DELETE", "/v1/admin/users/%s/data", null),
                    new Probe("GET", "/v1/admin/keys/%s", null),
                    new Probe("DELETE", "/v1/admin/keys/%s", null),
                    new Probe("GET", "/v1/admin/organizations/%s", null),
                    new Probe("DELETE", "/v1/admin/organizations/%s/data", null),
                    new Probe("GET", "/v1/conversations/%s", null),
                    new Probe("PATCH", "/v1/conversations/%s", "{\"title\": \"mine now\"}"),
                    new Probe("DELETE", "/v1/conversations/%s", null),
                    new Probe("GET", "/v1/conversations/%s/sovereignty", null),
                    new Probe("POST", "/v1/conversations/%s/messages", "{\"role\": \"user\", \"content\": \"hi\"}"));
            List<String> failures = new ArrayList<>();
            for (Probe probe : probes) {
                String real = probe.path().startsWith("/v1/admin/users") ? f.ownerA
                        : probe.path().startsWith("/v1/admin/keys") ? keyOfA
                        : probe.path().startsWith("/v1/admin/organizations") ? f.orgA.id() : conversationOfA;
                List<String> work = new ArrayList<>();
                List<String> answers = new ArrayList<>();
                for (String id : List.of(real, nowhere(real))) {
                    int before = audit(f, f.orgB.id()).size();
                    TestServer.Reply reply = send(f.b, probe.method(), probe.path().formatted(id), probe.body());
                    answers.add(reply.status() + " " + reply.body().get("code").asText() + " "
                            + reply.body().get("message").asText().replace(id, "ID"));
                    List<AuditEntry> added = audit(f, f.orgB.id()).subList(0, audit(f, f.orgB.id()).size() - before);
                    work.add(added.stream().map(e -> e.action() + " " + e.outcome() + " " + e.resource().replace(id, "ID"))
                            .toList().toString());
                }
                String what = probe.method() + " " + probe.path();
                if (!answers.get(0).equals(answers.get(1))) {
                    failures.add(what + " answers " + answers);
                }
                if (!work.get(0).equals(work.get(1)) || work.get(0).equals("[]")) {
                    failures.add(what + " audits " + work + " (another organization's id, then none)");
                }
            }
            assertThat(failures).isEmpty();
            // And nothing of A changed.
            assertThat(f.a.get("/v1/conversations/" + conversationOfA).status()).isEqualTo(200);
            assertThat(f.tenancy.users().list(f.orgA.id())).allSatisfy(u -> assertThat(u.disabled()).isFalse());
        }
    }

    @Test
    void aCsrfRefusalOfASignedInSessionIsAudited() throws IOException {
        try (TenancyFixture f = serving()) {
            TestServer.Reply login = f.login(TenancyFixture.OWNER_A, TenancyFixture.PASSWORD);
            String cookie = TenancyFixture.cookie(login);
            String token = login.body().get("csrf_token").asText();
            record Forgery(String method, String path, String token) {}
            List<Forgery> forgeries = List.of(
                    new Forgery("POST", "/v1/admin/keys", null),
                    new Forgery("POST", "/v1/admin/users", "not-the-token"),
                    new Forgery("DELETE", "/v1/admin/users/" + f.ownerA, ""),
                    new Forgery("PUT", "/v1/admin/policy", token.substring(1)),
                    new Forgery("PATCH", "/v1/conversations/conv_x", token.toUpperCase(java.util.Locale.ROOT)));
            for (Forgery forgery : forgeries) {
                int before = audit(f, f.orgA.id()).size();
                HttpRequest.Builder request = HttpRequest.newBuilder(f.a.uri(forgery.path())).header("Cookie", cookie)
                        .header("Content-Type", "application/json")
                        .method(forgery.method(), HttpRequest.BodyPublishers.ofString("{\"name\": \"forged\"}"));
                if (forgery.token() != null) {
                    request.header("X-CSRF-Token", forgery.token());
                }
                TestServer.Reply reply = f.a.sendAsIs(request.build());
                assertThat(reply.status()).as(forgery.toString()).isEqualTo(403);
                assertThat(reply.body().get("code").asText()).isEqualTo("csrf_token_invalid");
                List<AuditEntry> added = audit(f, f.orgA.id()).subList(0, audit(f, f.orgA.id()).size() - before);
                assertThat(added).as(forgery.toString()).singleElement().satisfies(e -> {
                    assertThat(e.action()).isEqualTo("access.denied");
                    assertThat(e.outcome()).isEqualTo("DENIED");
                    assertThat(e.actor()).isEqualTo(f.ownerA);
                    assertThat(e.resource()).isEqualTo(forgery.method() + " " + forgery.path());
                });
            }
            assertThat(f.tenancy.keys().list(f.orgA.id())).noneMatch(k -> k.name().equals("forged"));
        }
    }

    /** Characters that reorder or hide what an administrator reads, and other control characters. */
    private static final List<String> HIDDEN = List.of("\u202E", "\u202A", "\u202B", "\u202C", "\u202D", "\u2066",
            "\u2067", "\u2068", "\u2069", "\u200E", "\u200F", "\u061C", "\u0000", "\u0007", "\u001B", "\u007F",
            "\u0085", "\u009B", "\u2028", "\u2029", "\n", "\t");

    @Test
    void noLabelTakesCharactersThatChangeHowItReads() throws IOException {
        try (TenancyFixture f = serving()) {
            String conversation = f.a.post("/v1/conversations", "{\"title\": \"plain\"}").body().get("id").asText();
            // Only an owner of the installation's organization, signed in, creates organizations.
            TestServer owner = f.signedIn(TenancyFixture.OWNER_A);
            record Label(String method, String path, String field, String bodyFormat) {}
            List<Label> labels = List.of(
                    new Label("POST", "/v1/admin/keys", "name", "{\"name\": %s, \"scopes\": [\"chat\"]}"),
                    new Label("POST", "/v1/admin/users", "email", "{\"email\": %s, \"role\": \"member\"}"),
                    new Label("POST", "/v1/admin/organizations", "name", "{\"name\": %s, \"owner_email\": \"owner@new.example\"}"),
                    new Label("POST", "/v1/conversations", "title", "{\"title\": %s}"),
                    new Label("PATCH", "/v1/conversations/" + conversation, "title", "{\"title\": %s}"));
            List<String> failures = new ArrayList<>();
            for (Label label : labels) {
                for (String hidden : HIDDEN) {
                    String value = label.field().equals("email") ? "eve" + hidden + "@example.com" : "invoice" + hidden + "fdp.exe";
                    TestServer.Reply reply = send(label.path().endsWith("organizations") ? owner : f.a, label.method(), label.path(),
                            label.bodyFormat().formatted(JSON.writeValueAsString(value)));
                    String what = label.method() + " " + label.path() + " with U+%04X".formatted((int) hidden.charAt(0));
                    if (reply.status() != 400 || !label.field().equals(reply.body().get("param").asText())) {
                        failures.add(what + ": " + reply.status() + " " + reply.raw().body());
                    }
                }
            }
            assertThat(failures).isEmpty();
            // Scripts written right to left are labels like any other.
            assertThat(send(f.a, "POST", "/v1/admin/keys", "{\"name\": \"مفتاح\", \"scopes\": [\"chat\"]}").status())
                    .isEqualTo(201);
        }
    }

    @Test
    void headWithoutCredentialsAnswersNoRouteOfTheApi() throws IOException {
        try (TenancyFixture f = serving()) {
            List<String> failures = new ArrayList<>();
            for (String path : List.of("/metrics", "/v1/models", "/v1/models/stories260K", "/v1/admin/users",
                    "/v1/admin/keys", "/v1/admin/organizations", "/v1/admin/policy", "/v1/audit/entries",
                    "/v1/conversations", "/v1/conversations/export", "/v1/sovereignty/report", "/v1/admin/export",
                    "/v1/admin/retention", "/auth/session")) {
                TestServer.Reply reply = f.anonymous(HttpRequest.newBuilder(f.a.uri(path))
                        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
                if (reply.status() != 401) {
                    failures.add("HEAD " + path + " answered " + reply.status());
                }
            }
            assertThat(failures).isEmpty();
            TestServer.Reply member = f.signedIn("member@a.example", Role.MEMBER).send(HttpRequest.newBuilder(f.a.uri("/metrics"))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
            assertThat(member.status()).as("HEAD /metrics as a member").isEqualTo(403);
        }
    }
}

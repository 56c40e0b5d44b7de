package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import eu.souverain.server.backends.LocalBackend;
import eu.souverain.server.store.TestDatabases;
import eu.souverain.server.tenancy.Role;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Groups and the models they may use: a member of a group with a model list sees and calls only
 * those (any other is "model_not_found", as an unknown one); a user in no such group, and an API
 * key, use every model. Each change is audited; another organization's group is a missing one.
 */
class GroupModelAccessTest {

    @TempDir
    Path dir;

    private void serveTwoModels(TenancyFixture f) throws java.io.IOException {
        Map<String, Path> models = new LinkedHashMap<>();
        models.put("open", TestServer.BUNDLED_MODEL);
        models.put("restricted", TestServer.BUNDLED_MODEL);
        f.server.serve(TestServices.of(f.server, f.tenancy, f.database, dir, f.clock,
                LocalBackend.load(models, new LocalBackend.Settings(0, 1, 4, 4, 0, null))));
    }

    private static List<String> models(TestServer as) {
        TestServer.Reply reply = as.get("/v1/models");
        assertThat(reply.status()).as(reply.raw().body()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        reply.body().get("data").forEach(m -> ids.add(m.get("id").asText()));
        return ids;
    }

    private static TestServer.Reply chat(TestServer as, String model) {
        return as.post("{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Once\"}],\"max_tokens\":1}");
    }

    private static TestServer.Reply send(TestServer as, String method, String path, String json) {
        return as.send(HttpRequest.newBuilder(as.uri(path)).header("Content-Type", "application/json")
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json))
                .build());
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aGroupsMembersUseOnlyItsModelsAndEveryoneElseUsesAll(TestDatabases kind) throws java.io.IOException {
        try (TenancyFixture f = new TenancyFixture(kind, dir)) {
            serveTwoModels(f);
            TestServer ann = f.signedIn("ann@a.example", Role.MEMBER);
            TestServer bob = f.signedIn("bob@a.example", Role.MEMBER);
            String annId = ann.get("/auth/session").body().get("user").get("id").asText();
            assertThat(models(ann)).containsExactly("open", "restricted");

            TestServer.Reply created = f.a.post("/v1/admin/groups", "{\"name\":\"Writers\",\"models\":[\"open\"]}");
            assertThat(created.status()).as(created.raw().body()).isEqualTo(201);
            String group = created.body().get("id").asText();
            TestServer.Reply joined = send(f.a, "PUT", "/v1/admin/groups/" + group + "/members/" + annId, null);
            assertThat(joined.status()).as(joined.raw().body()).isEqualTo(200);
            assertThat(joined.body().get("members").get(0).asText()).isEqualTo(annId);

            assertThat(models(ann)).containsExactly("open");
            TestServer.Reply hidden = ann.get("/v1/models/restricted");
            TestServer.Reply unknown = ann.get("/v1/models/nonexistent");
            assertThat(hidden.status()).isEqualTo(404);
            assertThat(TenancyFixture.error(hidden).get("code").asText()).isEqualTo("model_not_found");
            TestServer.Reply refused = chat(ann, "restricted");
            TestServer.Reply missing = chat(ann, "nonexistent");
            assertThat(refused.status()).isEqualTo(404);
            assertThat(TenancyFixture.error(refused).get("code").asText()).isEqualTo("model_not_found");
            assertThat(TenancyFixture.error(refused).get("message").asText())
                    .isEqualTo(TenancyFixture.error(missing).get("message").asText().replace("nonexistent", "restricted"));
            assertThat(TenancyFixture.error(unknown).get("code").asText()).isEqualTo("model_not_found");
            assertThat(f.audit("model.access", "DENIED")).singleElement()
                    .satisfies(e -> assertThat(e.get("resource")).isEqualTo("restricted"));
            assertThat(chat(ann, "open").status()).isEqualTo(200);

            // Bob is in no group, the API key is nobody's: both keep every model.
            assertThat(models(bob)).containsExactly("open", "restricted");
            assertThat(chat(bob, "restricted").status()).isEqualTo(200);
            assertThat(models(f.a)).containsExactly("open", "restricted");

            // An empty list restricts nothing.
            TestServer.Reply opened = send(f.a, "PATCH", "/v1/admin/groups/" + group, "{\"models\":[]}");
            assertThat(opened.status()).as(opened.raw().body()).isEqualTo(200);
            assertThat(models(ann)).containsExactly("open", "restricted");
            assertThat(send(f.a, "DELETE", "/v1/admin/groups/" + group + "/members/" + annId, null).status())
                    .isEqualTo(200);
            assertThat(send(f.a, "DELETE", "/v1/admin/groups/" + group, null).status()).isEqualTo(204);
            assertThat(f.a.get("/v1/admin/groups").body().get("data")).isEmpty();

            for (String action : List.of("groups.create", "groups.members.add", "groups.update", "groups.members.remove",
                    "groups.delete")) {
                assertThat(f.audit(action, "SUCCESS")).as(action).hasSize(1);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void groupsAreAdministeredByAdminsOfTheirOwnOrganizationOnly(TestDatabases kind) throws java.io.IOException {
        try (TenancyFixture f = new TenancyFixture(kind, dir)) {
            serveTwoModels(f);
            String group = f.a.post("/v1/admin/groups", "{\"name\":\"Writers\",\"idp_group\":\"writers\"}")
                    .body().get("id").asText();
            assertThat(f.b.get("/v1/admin/groups/" + group).status()).isEqualTo(404);
            assertThat(send(f.b, "PATCH", "/v1/admin/groups/" + group, "{\"models\":[\"open\"]}").status()).isEqualTo(404);
            assertThat(f.audit("groups.update", "DENIED")).hasSize(1);
            assertThat(f.b.get("/v1/admin/groups").body().get("data")).isEmpty();
            TestServer member = f.signedIn("carl@a.example", Role.MEMBER);
            assertThat(member.post("/v1/admin/groups", "{\"name\":\"Mine\"}").status()).isEqualTo(403);
            TestServer.Reply twice = f.a.post("/v1/admin/groups", "{\"name\":\"Writers\"}");
            assertThat(twice.status()).isEqualTo(409);
            TestServer.Reply unknownUser = send(f.a, "PUT", "/v1/admin/groups/" + group + "/members/usr_nobody", null);
            assertThat(unknownUser.status()).isEqualTo(404);
            TestServer.Reply badModels = f.a.post("/v1/admin/groups", "{\"name\":\"Bad\",\"models\":[\"\"]}");
            assertThat(badModels.status()).isEqualTo(400);
            assertThat(TenancyFixture.error(badModels).get("param").asText()).isEqualTo("models");
        }
    }
}

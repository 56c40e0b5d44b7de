package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import eu.souverain.server.backends.LocalBackend;
import eu.souverain.server.limits.Metering;
import eu.souverain.server.store.TestDatabases;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.ApiKeys;
import eu.souverain.server.tenancy.Role;
import eu.souverain.server.tenancy.Scope;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Rate limits, budgets and usage accounting, through the API as clients meet them. */
class LimitsAndUsageTest {

    private static final String CHAT = """
            {"model": "stories260K", "messages": [{"role": "user", "content": "Tell me a story"}], "max_tokens": 12}""";

    @TempDir
    Path dir;

    private TenancyFixture serving(TestDatabases kind) throws IOException {
        TenancyFixture f = new TenancyFixture(kind, dir);
        f.server.serve(TestServices.of(f.server, f.tenancy, f.database, dir, f.clock,
                LocalBackend.load(Map.of("stories260K", TestServer.BUNDLED_MODEL),
                        new LocalBackend.Settings(0, 1, 16, 4, 0, null))));
        return f;
    }

    private static String keyId(String secret) {
        return secret.substring(ApiKeys.PREFIX.length(), secret.lastIndexOf('_'));
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aKeyPastItsRequestsPerMinuteGets429WithRetryAfterAndTheRateLimitFigures(TestDatabases kind) throws Exception {
        try (TenancyFixture f = serving(kind)) {
            String secret = f.key(f.orgA, Set.of(Scope.CHAT));
            TestServer limited = new TestServer(f.server, secret);
            TestServer.Reply set = f.a.send(f.request("/v1/admin/limits/key/" + keyId(secret))
                    .header("Content-Type", "application/json")
                    .PUT(TenancyFixture.json("{\"requests_per_minute\": 2}")).build());
            assertThat(set.status()).as(set.raw().body()).isEqualTo(200);
            assertThat(set.body().get("requests_per_minute").asLong()).isEqualTo(2);

            TestServer.Reply first = limited.post("/v1/chat/completions", CHAT);
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.header("x-ratelimit-limit-requests")).isEqualTo("2");
            assertThat(first.header("x-ratelimit-remaining-requests")).isEqualTo("1");
            assertThat(limited.post("/v1/chat/completions", CHAT).header("x-ratelimit-remaining-requests")).isEqualTo("0");
            TestServer.Reply refused = limited.post("/v1/chat/completions", CHAT);
            assertThat(refused.status()).isEqualTo(429);
            assertThat(refused.header("Retry-After")).isEqualTo("60");
            assertThat(refused.header("x-ratelimit-remaining-requests")).isEqualTo("0");
            assertThat(TenancyFixture.error(refused).get("code").asText()).isEqualTo("rate_limit_exceeded");
            assertThat(TenancyFixture.error(refused).get("message").asText())
                    .contains("key " + keyId(secret) + " reached its requests_per_minute limit of 2");
            assertThat(f.count("SELECT COUNT(*) FROM audit_entries WHERE action = 'model.call' AND outcome = 'DENIED'"
                    + " AND resource LIKE '%requests_per_minute%'")).isEqualTo(1);
            // The organization's other keys are not held back; the next minute lets this one in again.
            assertThat(f.a.post("/v1/chat/completions", CHAT).status()).isEqualTo(200);
            f.clock.advance(Duration.ofSeconds(60));
            assertThat(limited.post("/v1/chat/completions", CHAT).status()).isEqualTo(200);
        }
    }

    @Test
    void aRequestTheModelCannotRunIsRefusedBeforeItCountsAgainstALimit() throws Exception {
        try (TenancyFixture f = serving(TestDatabases.SQLITE)) {
            String secret = f.key(f.orgA, Set.of(Scope.CHAT, Scope.EMBEDDINGS));
            TestServer limited = new TestServer(f.server, secret);
            assertThat(f.a.send(f.request("/v1/admin/limits/key/" + keyId(secret)).header("Content-Type", "application/json")
                    .PUT(TenancyFixture.json("{\"requests_per_minute\": 1}")).build()).status()).isEqualTo(200);
            // Longer than the model's context, and a fill in the middle the bundled model has no tokens for.
            String tooLong = CHAT.replace("Tell me a story", "story ".repeat(4_000));
            TestServer.Reply overflow = limited.post("/v1/chat/completions", tooLong);
            assertThat(overflow.status()).as(overflow.raw().body()).isEqualTo(400);
            assertThat(TenancyFixture.error(overflow).get("code").asText()).isEqualTo("context_length_exceeded");
            TestServer.Reply fill = limited.post("/v1/fim/completions",
                    "{\"model\": \"stories260K\", \"prompt\": \"Once\", \"suffix\": \"end\"}");
            assertThat(fill.status()).as(fill.raw().body()).isEqualTo(400);
            assertThat(fill.header("x-ratelimit-remaining-requests")).isNull();

            TestServer.Reply longInput = limited.post("/v1/embeddings",
                    "{\"model\": \"stories260K\", \"input\": \"" + "story ".repeat(4_000) + "\"}");
            assertThat(longInput.status()).as(longInput.raw().body()).isEqualTo(400);
            assertThat(longInput.header("x-ratelimit-remaining-requests")).isNull();

            TestServer.Reply answered = limited.post("/v1/chat/completions", CHAT);
            assertThat(answered.status()).as(answered.raw().body()).isEqualTo(200);
            assertThat(answered.header("x-ratelimit-remaining-requests")).isEqualTo("0");
            assertThat(f.count("SELECT COUNT(*) FROM usage_records WHERE outcome = 'invalid'")).isEqualTo(3);
            assertThat(f.count("SELECT COUNT(*) FROM audit_entries WHERE action = 'model.call' AND outcome = 'FAILURE'"))
                    .isEqualTo(3);
        }
    }

    @Test
    void aBurstOf50AgainstALimitOf10LetsExactly10Through() throws Exception {
        try (TenancyFixture f = serving(TestDatabases.SQLITE)) {
            String secret = f.key(f.orgA, Set.of(Scope.CHAT));
            TestServer limited = new TestServer(f.server, secret);
            assertThat(f.a.send(f.request("/v1/admin/limits/key/" + keyId(secret)).header("Content-Type", "application/json")
                    .PUT(TenancyFixture.json("{\"requests_per_minute\": 10}")).build()).status()).isEqualTo(200);
            String tiny = CHAT.replace("12", "1");
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> replies = new ArrayList<>();
            try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 50; i++) {
                    replies.add(clients.submit(() -> {
                        start.await();
                        return limited.post("/v1/chat/completions", tiny).status();
                    }));
                }
                start.countDown();
            }
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> reply : replies) {
                statuses.add(reply.get());
            }
            assertThat(statuses.stream().filter(s -> s == 200).count()).isEqualTo(10);
            assertThat(statuses.stream().filter(s -> s == 429).count()).isEqualTo(40);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aDailyBudgetShortensTheAnswerThatReachesItThenRefuses(TestDatabases kind) throws Exception {
        try (TenancyFixture f = serving(kind)) {
            String secret = f.key(f.orgA, Set.of(Scope.CHAT));
            TestServer limited = new TestServer(f.server, secret);
            assertThat(f.a.send(f.request("/v1/admin/limits/key/" + keyId(secret)).header("Content-Type", "application/json")
                    .PUT(TenancyFixture.json("{\"tokens_per_day\": 30, \"soft_percent\": 50}")).build()).status())
                    .isEqualTo(200);
            TestServer.Reply capped = limited.post("/v1/chat/completions", CHAT.replace("12", "100"));
            assertThat(capped.status()).isEqualTo(200);
            assertThat(capped.body().at("/choices/0/finish_reason").asText()).isEqualTo("length");
            assertThat(capped.body().at("/usage/completion_tokens").asInt()).isEqualTo(30);
            TestServer.Reply refused = limited.post("/v1/chat/completions", CHAT);
            assertThat(refused.status()).isEqualTo(429);
            assertThat(TenancyFixture.error(refused).get("code").asText()).isEqualTo("budget_exceeded");
            assertThat(Long.parseLong(refused.header("Retry-After"))).isBetween(1L, 86_400L);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void usageTotalsEqualTheUsageTheClientsWereGiven(TestDatabases kind) throws Exception {
        try (TenancyFixture f = serving(kind)) {
            String secret = f.key(f.orgA, Set.of(Scope.CHAT, Scope.EMBEDDINGS));
            TestServer client = new TestServer(f.server, secret);
            long prompt = 0;
            long completion = 0;
            long cached = 0;
            for (int i = 0; i < 3; i++) {
                JsonNode usage = client.post("/v1/chat/completions", CHAT).body().get("usage");
                prompt += usage.get("prompt_tokens").asLong();
                completion += usage.get("completion_tokens").asLong();
                cached += usage.at("/prompt_tokens_details/cached_tokens").asLong();
            }
            List<String> events = client.stream("/v1/chat/completions", CHAT.replace("\"max_tokens\": 12",
                    "\"max_tokens\": 12, \"stream\": true, \"stream_options\": {\"include_usage\": true}"));
            JsonNode streamed = TestServer.JSON.readTree(events.get(events.size() - 2)).get("usage");
            prompt += streamed.get("prompt_tokens").asLong();
            completion += streamed.get("completion_tokens").asLong();
            cached += streamed.at("/prompt_tokens_details/cached_tokens").asLong();
            JsonNode embedded = client.post("/v1/embeddings", "{\"model\": \"stories260K\", \"input\": [\"a b\", \"c\"]}")
                    .body().get("usage");
            prompt += embedded.get("prompt_tokens").asLong();
            // A stored conversation's two turns: the second reuses the first's prompt from the cache.
            String conversation = client.post("/v1/conversations", "{\"model\": \"stories260K\"}").body().get("id").asText();
            for (String question : List.of("Tell me a story", "And then?")) {
                JsonNode usage = client.post("/v1/conversations/" + conversation + "/completions",
                        "{\"content\": \"" + question + "\", \"max_tokens\": 8}").body().get("usage");
                prompt += usage.get("prompt_tokens").asLong();
                completion += usage.get("completion_tokens").asLong();
                cached += usage.at("/prompt_tokens_details/cached_tokens").asLong();
            }

            TestServer.Reply own = client.get("/v1/usage?period=month");
            assertThat(own.status()).as(own.raw().body()).isEqualTo(200);
            assertThat(own.body().at("/totals/requests").asLong()).isEqualTo(7);
            assertThat(own.body().at("/totals/prompt_tokens").asLong()).isEqualTo(prompt);
            assertThat(own.body().at("/totals/completion_tokens").asLong()).isEqualTo(completion);
            assertThat(own.body().at("/totals/total_tokens").asLong()).isEqualTo(prompt + completion);
            assertThat(own.body().at("/totals/cached_tokens").asLong()).isEqualTo(cached).isPositive();
            // The owner sees the organization's by key; the key sees nobody else's.
            TestServer.Reply byKey = f.a.get("/v1/usage?group_by=key");
            assertThat(byKey.body().get("data")).anySatisfy(row -> {
                assertThat(row.get("group").asText()).isEqualTo(keyId(secret));
                assertThat(row.get("requests").asLong()).isEqualTo(7);
            });
            assertThat(client.get("/v1/usage?user=" + f.ownerA).status()).isEqualTo(403);
            HttpResponse<String> csv = f.a.client.send(f.request("/v1/usage?format=csv&group_by=endpoint")
                    .header("Authorization", "Bearer " + f.a.apiKey).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(csv.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/csv");
            assertThat(csv.body()).startsWith("period,group,requests,").contains(",/v1/embeddings,1,")
                    .contains(",/v1/chat/completions,4,").contains(",/v1/conversations/{id}/completions,2,");
            assertThat(f.b.get("/v1/usage").body().at("/totals/requests").asLong()).isZero();
        }
    }

    @Test
    void eachCallCarriesAnEnergyEstimateFromItsBackendsFigureAndItsUsersGroup() throws Exception {
        try (TenancyFixture f = new TenancyFixture(TestDatabases.SQLITE, dir)) {
            ApiServer.Services plain = TestServices.of(f.server, f.tenancy, f.database, dir, f.clock,
                    LocalBackend.load(Map.of("stories260K", TestServer.BUNDLED_MODEL),
                            new LocalBackend.Settings(0, 1, 16, 4, 0, null)));
            f.server.serve(new ApiServer.Services(plain.backends(), plain.residency(), plain.privacy(),
                    plain.redactions(), plain.report(), new Metering(f.database, f.tenancy.audit(), f.clock,
                    Map.of("local", 0.5)), plain.provenance(), plain.catalogue(), plain.documents()));
            String group = f.a.post("/v1/admin/groups", "{\"name\": \"research\"}").body().get("id").asText();
            String member = f.tenancy.users().create(f.orgA.id(), "member@alpha.test", Role.MEMBER,
                    TenancyFixture.PASSWORD, Actor.SYSTEM, true).user().id();
            assertThat(f.a.send(f.request("/v1/admin/groups/" + group + "/members/" + member)
                    .PUT(HttpRequest.BodyPublishers.noBody()).build()).status()).isEqualTo(200);
            TestServer owner = f.signedIn("member@alpha.test");
            long tokens = 0;
            for (int i = 0; i < 2; i++) {
                tokens += owner.post("/v1/chat/completions", CHAT).body().at("/usage/total_tokens").asLong();
            }
            tokens += f.a.post("/v1/chat/completions", CHAT).body().at("/usage/total_tokens").asLong();

            JsonNode byGroup = f.a.get("/v1/usage?group_by=group").body();
            assertThat(byGroup.at("/totals/energy_wh_estimate").asDouble()).isCloseTo(tokens * 0.5 / 1000,
                    org.assertj.core.api.Assertions.within(1e-9));
            assertThat(byGroup.at("/energy/wh_per_1k_tokens/local").asDouble()).isEqualTo(0.5);
            assertThat(byGroup.at("/energy/note").asText()).contains("estimate");
            assertThat(byGroup.get("data")).extracting(row -> row.get("group").asText(), row -> row.get("requests").asLong())
                    .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple(group, 2L),
                            org.assertj.core.groups.Tuple.tuple("", 1L));
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aGroupsLimitCountsItsMembersCallsTogether(TestDatabases kind) throws Exception {
        try (TenancyFixture f = serving(kind)) {
            String group = f.a.post("/v1/admin/groups", "{\"name\": \"interns\"}").body().get("id").asText();
            List<TestServer> members = new ArrayList<>();
            for (String email : List.of("ana@alpha.test", "ben@alpha.test")) {
                String id = f.tenancy.users().create(f.orgA.id(), email, Role.MEMBER, TenancyFixture.PASSWORD,
                        Actor.SYSTEM, true).user().id();
                assertThat(f.a.send(f.request("/v1/admin/groups/" + group + "/members/" + id)
                        .PUT(HttpRequest.BodyPublishers.noBody()).build()).status()).isEqualTo(200);
                members.add(f.signedIn(email));
            }
            TestServer.Reply set = f.a.send(f.request("/v1/admin/limits/group/" + group)
                    .header("Content-Type", "application/json")
                    .PUT(TenancyFixture.json("{\"requests_per_minute\": 3}")).build());
            assertThat(set.status()).as(set.raw().body()).isEqualTo(200);
            assertThat(set.body().at("/subject/kind").asText()).isEqualTo("group");

            assertThat(members.get(0).post("/v1/chat/completions", CHAT).status()).isEqualTo(200);
            assertThat(members.get(1).post("/v1/chat/completions", CHAT).status()).isEqualTo(200);
            assertThat(members.get(0).post("/v1/chat/completions", CHAT).header("x-ratelimit-remaining-requests"))
                    .isEqualTo("0");
            TestServer.Reply refused = members.get(1).post("/v1/chat/completions", CHAT);
            assertThat(refused.status()).isEqualTo(429);
            assertThat(TenancyFixture.error(refused).get("message").asText())
                    .contains("group " + group + " reached its requests_per_minute limit of 3");
            // Outside the group, the organization's key is not held back.
            assertThat(f.a.post("/v1/chat/completions", CHAT).status()).isEqualTo(200);
            // Another organization's group is not found.
            assertThat(f.b.send(f.request("/v1/admin/limits/group/" + group).header("Content-Type", "application/json")
                    .PUT(TenancyFixture.json("{\"requests_per_minute\": 1}")).build()).status()).isEqualTo(404);
        }
    }

    @Test
    void withoutAFigureTheEnergyEstimateIsNullNotZero() throws Exception {
        try (TenancyFixture f = serving(TestDatabases.SQLITE)) {
            assertThat(f.a.post("/v1/chat/completions", CHAT).status()).isEqualTo(200);
            JsonNode usage = f.a.get("/v1/usage").body();
            assertThat(usage.at("/totals/requests").asLong()).isEqualTo(1);
            assertThat(usage.at("/totals/energy_wh_estimate").isNull()).isTrue();
            assertThat(usage.at("/data/0/energy_wh_estimate").isNull()).isTrue();
            assertThat(usage.at("/energy/wh_per_1k_tokens").isEmpty()).isTrue();
        }
    }

    @Test
    void limitsOfAnotherOrganizationsKeyAreNotFoundAndBadLimitsAreNamed() throws Exception {
        try (TenancyFixture f = serving(TestDatabases.SQLITE)) {
            String secretA = f.key(f.orgA, Set.of(Scope.CHAT));
            TestServer.Reply across = f.b.send(f.request("/v1/admin/limits/key/" + keyId(secretA))
                    .header("Content-Type", "application/json").PUT(TenancyFixture.json("{\"requests_per_minute\": 1}"))
                    .build());
            assertThat(across.status()).isEqualTo(404);
            TestServer.Reply negative = f.a.send(f.request("/v1/admin/limits/key/" + keyId(secretA))
                    .header("Content-Type", "application/json").PUT(TenancyFixture.json("{\"tokens_per_day\": -5}"))
                    .build());
            assertThat(negative.status()).isEqualTo(400);
            assertThat(TenancyFixture.error(negative).get("message").asText()).contains("tokens_per_day");
            TestServer.Reply member = f.withScopes(Scope.CHAT).send(f.request("/v1/admin/limits/organization/"
                    + f.orgA.id()).header("Content-Type", "application/json")
                    .PUT(TenancyFixture.json("{\"requests_per_minute\": 1}")).build());
            assertThat(member.status()).isEqualTo(403);
            assertThat(f.a.get("/v1/admin/limits").body().get("data")).isEmpty();
        }
    }
}

package eu.souverain.engine.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.engine.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Real chat templates against the renders Python's jinja2 produced for them (shared/models/templates). */
class ChatTemplateGoldenTest {

    static final Clock NOV_26_2026 = Clock.fixed(Instant.parse("2026-11-26T10:15:00Z"), ZoneOffset.UTC);

    record Case(String template, String conversation, ChatTemplate chatTemplate, List<Map<String, Object>> messages,
                List<Map<String, Object>> tools, String expected) {
        @Override
        public String toString() {
            return template + " / " + conversation;
        }
    }

    static Path templatesDir() {
        return TestFiles.shared("models/templates");
    }

    @SuppressWarnings("unchecked")
    static List<Case> cases() throws IOException {
        Path dir = templatesDir();
        Map<String, Object> index = new ObjectMapper().readValue(dir.resolve("index.json").toFile(), Map.class);
        Map<String, Map<String, String>> tokens = (Map<String, Map<String, String>>) index.get("bos_eos");
        Map<String, Map<String, Object>> conversations = (Map<String, Map<String, Object>>) index.get("conversations");
        List<Case> cases = new ArrayList<>();
        for (Map<String, String> render : (List<Map<String, String>>) index.get("renders")) {
            String template = render.get("template");
            Map<String, Object> conversation = conversations.get(render.get("conversation"));
            ChatTemplate chatTemplate = ChatTemplate.of(Files.readString(dir.resolve(template + ".jinja")),
                    tokens.get(template).get("bos_token"), tokens.get(template).get("eos_token")).withClock(NOV_26_2026);
            cases.add(new Case(template, render.get("conversation"), chatTemplate,
                    (List<Map<String, Object>>) conversation.get("messages"),
                    (List<Map<String, Object>>) conversation.get("tools"),
                    Files.readString(dir.resolve(render.get("expected")))));
        }
        return cases;
    }

    static Stream<Arguments> renders() throws IOException {
        return cases().stream().map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renders")
    void rendersByteForByteLikeJinja2(Case c) {
        assertThat(c.chatTemplate().render(c.messages(), c.tools(), true)).isEqualTo(c.expected());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renders")
    void partsConcatenateToTheRenderAndKeepTheConversationUntrusted(Case c) {
        List<PromptPart> parts = c.chatTemplate().renderParts(c.messages(), c.tools(), true);

        assertThat(String.join("", parts.stream().map(PromptPart::text).toList())).isEqualTo(c.expected());
        assertThat(parts).anyMatch(PromptPart::trusted);
        String content = (String) c.messages().getLast().get("content");
        assertThat(parts).filteredOn(p -> !p.trusted()).anyMatch(p -> p.text().contains(content));
        assertThat(parts).filteredOn(PromptPart::trusted).noneMatch(p -> p.text().contains(content));
    }
}

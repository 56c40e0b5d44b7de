package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Operational logs never carry what people wrote or what the model answered: chat completions,
 * plain and streamed, and refused requests go through a real server on loopback while every log
 * line is captured, our own code's at TRACE and the libraries' at INFO; neither the prompt nor the
 * answer appears in them.
 */
class LogsKeepNoContentTest {

    private static final String SECRET = "Zorblax merger closes on the ninth of Brumaire";

    @Test
    void noPromptOrAnswerTextInTheLogs() throws Exception {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Logger ours = context.getLogger("eu.souverain");
        Level rootLevel = root.getLevel();
        Level oursLevel = ours.getLevel();
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%level %logger %mdc %msg%n%ex{full}");
        encoder.start();
        OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
        appender.setContext(context);
        appender.setEncoder(encoder);
        appender.setOutputStream(captured);
        appender.start();
        root.addAppender(appender);
        root.setLevel(Level.INFO);
        ours.setLevel(Level.TRACE);
        String answer;
        String streamed;
        LoggerFactory.getLogger("eu.souverain.api").trace("capture works");
        try (TestServer server = TestServer.bundled()) {
            String messages = "\"messages\":[{\"role\":\"system\",\"content\":\"" + SECRET + " (system)\"},"
                    + "{\"role\":\"user\",\"content\":\"" + SECRET + "\"}]";
            TestServer.Reply reply = server.post("{\"model\":\"stories260K\"," + messages
                    + ",\"temperature\":0,\"max_tokens\":48}");
            assertThat(reply.status()).as(reply.raw().body()).isEqualTo(200);
            answer = reply.body().get("choices").get(0).get("message").get("content").asText();

            StringBuilder text = new StringBuilder();
            for (String event : server.stream("{\"model\":\"stories260K\"," + messages
                    + ",\"temperature\":0.9,\"seed\":7,\"max_tokens\":48,\"stream\":true}")) {
                if (!event.equals("[DONE]")) {
                    var delta = TestServer.parse(event).get("choices").get(0).get("delta").get("content");
                    if (delta != null) {
                        text.append(delta.asText());
                    }
                }
            }
            streamed = text.toString();

            TestServer.Reply completion = server.post("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\""
                    + SECRET + "\",\"max_tokens\":16,\"echo\":true}");
            assertThat(completion.status()).isEqualTo(200);
            // Refusals that quote nothing of the request back into the logs.
            assertThat(server.post("{\"model\":\"stories260K\",\"messages\":[{\"role\":\"wizard\",\"content\":\""
                    + SECRET + "\"}]}").status()).isBetween(400, 499);
            assertThat(server.post("{\"model\":\"no-such-model\"," + messages + "}").status()).isBetween(400, 499);
            assertThat(server.post("{\"model\":\"stories260K\"," + messages + ",\"max_tokens\":\"" + SECRET + "\"}")
                    .status()).isBetween(400, 499);
        } finally {
            root.detachAppender(appender);
            appender.stop();
            root.setLevel(rootLevel);
            ours.setLevel(oursLevel);
        }
        String logs = captured.toString(StandardCharsets.UTF_8);
        assertThat(logs).contains("capture works");
        assertThat(answer.strip()).hasSizeGreaterThan(20);
        assertThat(streamed.strip()).hasSizeGreaterThan(20);
        for (String content : List.of(SECRET, "Zorblax", "Brumaire", answer.strip(), streamed.strip())) {
            assertThat(logs).as("the logs hold '%s'", content).doesNotContain(content);
        }
    }
}

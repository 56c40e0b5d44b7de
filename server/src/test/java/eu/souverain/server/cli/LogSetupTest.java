package eu.souverain.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.ConsoleAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Logback finds the process's logging set-up as a service, and a file named on the command line replaces it. */
class LogSetupTest {

    @Test
    void warningsAndErrorsGoToStderrOneLineEach() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        assertThat(root.getLevel()).isEqualTo(Level.WARN);
        assertThat(root.getAppender("STDERR")).isInstanceOfSatisfying(ConsoleAppender.class, stderr -> {
            assertThat(stderr.getTarget()).isEqualTo("System.err");
            assertThat(((PatternLayoutEncoder) stderr.getEncoder()).getPattern())
                    .isEqualTo("%d{HH:mm:ss.SSS} %-5level %logger{20} - %msg%n");
        });
    }

    @Test
    void aConfigurationFileOnTheCommandLineTakesOver() {
        String property = "logback.configurationFile";
        System.setProperty(property, "elsewhere.xml");
        try {
            assertThat(new LogSetup().configure(new LoggerContext())).isEqualTo(Configurator.ExecutionStatus.NEUTRAL);
        } finally {
            System.clearProperty(property);
        }
        assertThat(new LogSetup().configure(new LoggerContext()))
                .isEqualTo(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
    }
}

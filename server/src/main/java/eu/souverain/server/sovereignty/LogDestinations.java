package eu.souverain.server.sovereignty;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Where the operational logs go, read from Logback's configuration as it was loaded: each
 * appender of the root logger, and for the console, whether systemd's journal takes it.
 */
final class LogDestinations {

    private LogDestinations() {}

    /** One line for each destination, e.g. "console (System.err), which systemd's journal collects". */
    static List<String> describe() {
        List<String> destinations = new ArrayList<>();
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            destinations.add("not Logback: " + LoggerFactory.getILoggerFactory().getClass().getName());
            return destinations;
        }
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        // systemd sets JOURNAL_STREAM for a service whose stdout or stderr is connected to the journal.
        boolean journal = System.getenv("JOURNAL_STREAM") != null;
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            Appender<?> appender = it.next();
            switch (appender) {
                case FileAppender<?> file -> destinations.add("file " + file.getFile());
                case ConsoleAppender<?> console -> destinations.add("console (" + console.getTarget() + ")"
                        + (journal ? ", which systemd's journal collects" : ", which whoever started the process collects"
                        + " (the journal under systemd, the container runtime's log in a container)"));
                default -> destinations.add(appender.getName() + " (" + appender.getClass().getName() + ")");
            }
        }
        if (destinations.isEmpty()) {
            destinations.add("nowhere: the root logger has no appender");
        }
        return destinations;
    }

    /** The root logger's level: what is written at all. */
    static String level() {
        return LoggerFactory.getILoggerFactory() instanceof LoggerContext context
                ? String.valueOf(context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getLevel()) : "unknown";
    }
}

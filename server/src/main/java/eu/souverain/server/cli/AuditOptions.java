package eu.souverain.server.cli;

import eu.souverain.server.audit.AuditCheckpoints;
import eu.souverain.server.audit.CheckpointSigner;
import eu.souverain.server.audit.CheckpointSink;
import eu.souverain.server.store.Database;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** Where {@code serve} sends its signed audit checkpoints, and how often it writes one. */
final class AuditOptions {

    @Option(names = "--audit-sink", paramLabel = "file:PATH|URL",
            description = "Also append each signed audit checkpoint outside the database: file:PATH (JSON lines, e.g."
                    + " on another volume) or an http(s):// webhook (POST JSON); repeatable.")
    List<String> sinks = new ArrayList<>();

    @Option(names = "--audit-checkpoint-interval", paramLabel = "DURATION", defaultValue = "5m",
            converter = DurationConverter.class,
            description = "How often to sign an audit checkpoint, e.g. 30s, 5m, 1h (default: ${DEFAULT-VALUE});"
                    + " one more is written on shutdown.")
    Duration interval;

    /** The sinks parsed, before anything starts: a bad spec stops the command with its name. */
    List<CheckpointSink> parsedSinks() {
        return sinks.stream().map(CheckpointSink::parse).toList();
    }

    /** Checkpoints of {@code database}'s log, signed with the key under {@code dataDir}, on their schedule. */
    AuditCheckpoints start(Database database, Path dataDir) {
        List<CheckpointSink> parsed = parsedSinks();
        AuditCheckpoints checkpoints = new AuditCheckpoints(database,
                CheckpointSigner.open(dataDir.resolve(CheckpointSigner.FILE)), parsed, Clock.systemUTC());
        checkpoints.start(interval);
        return checkpoints;
    }

    /** 500ms, 30s, 5m, 1h, 2d, or ISO-8601 (PT5M). */
    static final class DurationConverter implements ITypeConverter<Duration> {
        private static final Pattern SHORT = Pattern.compile("(\\d+)(ms|s|m|h|d)");

        @Override
        public Duration convert(String value) {
            Matcher m = SHORT.matcher(value.trim().toLowerCase(Locale.ROOT));
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                Duration d = switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                };
                if (d.isZero()) {
                    throw new TypeConversionException("'" + value + "' is not a positive duration");
                }
                return d;
            }
            try {
                Duration d = Duration.parse(value);
                if (d.isNegative() || d.isZero()) {
                    throw new TypeConversionException("'" + value + "' is not a positive duration");
                }
                return d;
            } catch (java.time.format.DateTimeParseException e) {
                throw new TypeConversionException("'" + value + "' is not a duration such as 30s, 5m or 1h");
            }
        }
    }
}

package eu.souverain.server.backends;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Nothing leaves the machine but requests to what the operator configured: the places in the
 * server's code (and its tools') that open an outbound connection are the remote backend (only under its configured
 * base URL, which RemoteBackendTest records), the audit checkpoint webhook (--audit-sink) and the
 * Vault Transit key provider (--master-key), the load generator, which calls only the --url
 * given on its own command line, the model hub of `pull` (its --hub), which only that command
 * calls, when a person runs it, and the PrestaShop webservice of a catalogue job (the shop URL its
 * command line or an organization's admin names). Any other place, such as a telemetry or update check, fails this
 * test.
 */
class OutboundConnectionsTest {

    /** The ways Java code opens a connection elsewhere. */
    private static final Pattern OUTBOUND = Pattern.compile(
            "HttpClient\\.new|\\.openConnection\\(|\\.openStream\\(|new Socket\\(|SocketChannel\\.open|HttpURLConnection"
                    + "|DatagramSocket");

    @Test
    void onlyConfiguredDestinationsAreCalled() throws IOException {
        List<String> opening;
        // The server's code and the tools' it dispatches (the load generator).
        try (Stream<Path> files = Stream.concat(Files.walk(Path.of("src/main/java")),
                Files.walk(Path.of("../tools/src/main/java")))) {
            opening = files.filter(f -> f.toString().endsWith(".java")).filter(f -> {
                try {
                    return OUTBOUND.matcher(Files.readString(f)).find();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).map(f -> f.getFileName().toString()).toList();
        }
        assertThat(opening).containsExactlyInAnyOrder("RemoteBackend.java", "WebhookSink.java", "TransitMasterKey.java",
                "LoadtestCommand.java", "Hub.java", "PrestaShop.java");
    }
}

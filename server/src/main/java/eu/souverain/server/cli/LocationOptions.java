package eu.souverain.server.cli;

import eu.souverain.server.backends.BackendLocation;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Where this host is, as its operator declares it: the location of the local engine, shared by
 * {@code serve}, which states it on every answer, and {@code report}, which states it to auditors.
 */
final class LocationOptions {

    @Option(names = "--country", paramLabel = "CODE",
            description = "ISO 3166 country of this host, where the local engine runs (default: the JVM locale's country, if any).")
    String country;

    @Option(names = "--region", paramLabel = "REGION", description = "Region or data centre of this host.")
    String region;

    @Option(names = "--operator", paramLabel = "NAME", description = "Who operates this host (default: the host name).")
    String operator;

    @Option(names = "--certification", paramLabel = "NAME",
            description = "A certification of this host's hosting, such as SecNumCloud or ISO 27001; repeatable.")
    List<String> certifications = new ArrayList<>();

    BackendLocation thisHost() {
        return BackendLocation.thisHost(operator, country, region, certifications);
    }
}

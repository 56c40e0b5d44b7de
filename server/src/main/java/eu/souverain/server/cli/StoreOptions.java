package eu.souverain.server.cli;

import eu.souverain.server.store.DataDirectory;
import eu.souverain.server.store.Database;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where the platform keeps its data: shared by {@code serve} and every command that reads or
 * changes it, so that a script works on the same store whether or not the server runs.
 */
final class StoreOptions {

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "data",
            description = "Data directory: the SQLite database, keys and checkpoints (default: ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--db", paramLabel = "JDBC_URL",
            description = "PostgreSQL instead of the embedded SQLite file: jdbc:postgresql://HOST:PORT/DB?user=U"
                    + " (the password as a URL parameter or from the environment).")
    String db;

    Database open() throws IOException {
        return Database.open(data, db);
    }

    /** Says on {@code err} when the SQLite data directory lets other accounts in. */
    void warnWhenOpenToOthers(PrintWriter err) {
        if (db == null) {
            DataDirectory.widerThanOwner(data).ifPresent(warning -> err.println("souverain: warning: " + warning));
        }
    }
}

package eu.souverain.server.cli;

import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.Tenancy;
import java.io.IOException;
import java.time.Clock;

/** Opens the store of a command that changes it, with the audit log its changes are appended to. */
final class StoreCommands {

    private StoreCommands() {}

    interface Work<T> {
        T run(Tenancy tenancy) throws IOException;
    }

    static <T> T withTenancy(StoreOptions store, Work<T> work) throws IOException {
        try (Database database = store.open()) {
            return work.run(new Tenancy(database, new AuditLog(database, Clock.systemUTC()), Clock.systemUTC()));
        }
    }
}

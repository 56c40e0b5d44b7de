package eu.souverain.server.cli;

import com.google.crypto.tink.PublicKeyVerify;
import eu.souverain.server.audit.AuditEntry;
import eu.souverain.server.audit.AuditVerifier;
import eu.souverain.server.audit.Checkpoint;
import eu.souverain.server.audit.CheckpointSigner;
import eu.souverain.server.audit.CheckpointSink;
import eu.souverain.server.audit.FileSink;
import eu.souverain.server.store.Database;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The audit log from the command line: verify it, export it, hand out the key that checks it. */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Verify or export the tamper-evident audit log.",
        subcommands = {AuditCommand.Verify.class, AuditCommand.Export.class, AuditCommand.PublicKey.class})
final class AuditCommand implements Runnable {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Recompute the hash chain and check every signed checkpoint; exit code 1 names the first"
                    + " broken entry.")
    static final class Verify implements Callable<Integer> {

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Mixin
        StoreOptions store;

        @Option(names = "--sink", paramLabel = "file:PATH",
                description = "Also check the checkpoints a file sink holds (catches a truncated checkpoints table);"
                        + " repeatable.")
        List<String> sinks = new ArrayList<>();

        @Option(names = "--public-key", paramLabel = "FILE",
                description = "The exported public key to check signatures with (default: the signing key in the data"
                        + " directory).")
        Path publicKey;

        @Override
        public Integer call() throws IOException {
            List<Checkpoint> outside = new ArrayList<>();
            for (String sink : sinks) {
                if (!(CheckpointSink.parse(sink) instanceof FileSink file)) {
                    throw new IllegalArgumentException("--sink " + sink + ": a webhook cannot be read back; give the"
                            + " receiver's copy as file:PATH");
                }
                outside.addAll(file.read());
            }
            PublicKeyVerify verifier = verifier();
            PrintWriter out = spec.commandLine().getOut();
            try (Database database = store.open()) {
                AuditVerifier.Verification v = new AuditVerifier(database, verifier).verify(outside);
                Checkpoint last = v.lastCheckpoint();
                String checkpoint = last == null ? "no signed checkpoint yet"
                        : v.checkpointsChecked() + " signed checkpoints, the last at " + Instant.ofEpochMilli(last.at())
                                + " for " + last.entryCount() + " entries (key " + last.keyId() + ")";
                if (v.ok()) {
                    out.println("OK: " + v.entriesChecked() + " entries, chain intact; " + checkpoint);
                    return 0;
                }
                out.println("BROKEN" + (v.firstBrokenSeq() == null ? "" : " at entry " + v.firstBrokenSeq()) + ": "
                        + v.reason());
                out.println(v.entriesChecked() + " entries intact before it; " + checkpoint);
                return 1;
            }
        }

        private PublicKeyVerify verifier() throws IOException {
            if (publicKey != null) {
                return CheckpointSigner.verifier(Files.readString(publicKey));
            }
            Path signing = store.data.resolve(CheckpointSigner.FILE);
            return Files.exists(signing) ? CheckpointSigner.verifier(CheckpointSigner.open(signing).publicKeyset()) : null;
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Write audit entries as JSON lines on stdout, oldest first.")
    static final class Export implements Callable<Integer> {

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Mixin
        StoreOptions store;

        @Option(names = "--since", paramLabel = "TIME",
                description = "Only entries at or after TIME: 2026-11-27 (UTC midnight) or 2026-11-27T09:30:00Z.")
        String since;

        @Option(names = "--org", paramLabel = "ORG_ID", description = "Only the entries of this organization.")
        String organization;

        @Override
        public Integer call() throws IOException {
            long sinceMillis = since == null ? 0 : parseTime(since).toEpochMilli();
            PrintWriter out = spec.commandLine().getOut();
            try (Database database = store.open()) {
                database.jdbi().useHandle(handle -> AuditEntry.forEach(handle, sinceMillis, organization,
                        entry -> out.println(entry.toJson())));
            }
            out.flush();
            return 0;
        }

        static Instant parseTime(String text) {
            try {
                return text.contains("T") ? Instant.parse(text) : LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("--since '" + text + "' is not a date (2026-11-27) or a UTC time"
                        + " (2026-11-27T09:30:00Z)");
            }
        }
    }

    @Command(name = "public-key", mixinStandardHelpOptions = true,
            description = "Print the public key that verifies audit checkpoints (Tink JSON keyset), for auditors.")
    static final class PublicKey implements Callable<Integer> {

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Mixin
        StoreOptions store;

        @Override
        public Integer call() {
            spec.commandLine().getOut().println(CheckpointSigner.open(store.data.resolve(CheckpointSigner.FILE))
                    .publicKeyset());
            return 0;
        }
    }
}

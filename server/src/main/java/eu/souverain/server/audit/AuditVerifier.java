package eu.souverain.server.audit;

import com.google.crypto.tink.PublicKeyVerify;
import eu.souverain.server.store.Database;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks the audit log: recomputes the hash chain entry by entry, then checks every signed
 * checkpoint (those in the database and those read back from sinks outside it) against its
 * signature and against the chain. An edited, deleted, inserted or reordered entry breaks the
 * chain where it happened; a truncated tail, or a chain rewritten whole, contradicts the last
 * checkpoint that was signed before it.
 */
public final class AuditVerifier {

    private final Database database;
    private final PublicKeyVerify verifier;

    /** @param verifier checks checkpoint signatures; null when no signing key exists yet (then no checkpoint may either) */
    public AuditVerifier(Database database, PublicKeyVerify verifier) {
        this.database = database;
        this.verifier = verifier;
    }

    /**
     * The verdict, for the CLI, the web app's "verify chain" button and the sovereignty report.
     *
     * @param entriesChecked how many entries the chain walk went through
     * @param firstBrokenSeq the first entry that is wrong or missing, or null (also when only a checkpoint is forged)
     * @param reason         what is wrong, or null when nothing is
     * @param lastCheckpoint the latest checkpoint whose signature holds, or null
     */
    public record Verification(boolean ok, long entriesChecked, int checkpointsChecked, Long firstBrokenSeq, String reason,
                               Checkpoint lastCheckpoint) {
    }

    /** Verifies the database's log with its own checkpoints and {@code outside} ones (from sinks). */
    public Verification verify(List<Checkpoint> outside) {
        Set<Checkpoint> checkpoints = new LinkedHashSet<>(database.jdbi().withHandle(AuditCheckpoints::stored));
        checkpoints.addAll(outside);
        List<Checkpoint> ordered = new ArrayList<>(checkpoints);
        ordered.sort(Comparator.comparingLong(Checkpoint::at).thenComparingLong(Checkpoint::entryCount));

        Set<Long> counts = new HashSet<>();
        ordered.forEach(c -> counts.add(c.entryCount()));
        Chain chain = new Chain(counts);
        database.jdbi().useHandle(handle -> AuditEntry.forEach(handle, 0, null, chain::check));

        Checkpoint lastGood = null;
        List<Checkpoint> signed = new ArrayList<>();
        for (Checkpoint c : ordered) {
            if (!signatureHolds(c)) {
                return new Verification(false, chain.checked, signed.size(), chain.brokenSeq,
                        chain.reason != null ? chain.reason : "the checkpoint of " + c.entryCount() + " entries at "
                                + Instant.ofEpochMilli(c.at()) + (verifier == null
                                ? " cannot be checked: there is no public key to check it with"
                                : " has a signature that does not verify: forged, altered or signed by another key than "
                                        + c.keyId()), lastGood);
            }
            signed.add(c);
            lastGood = c;
        }
        if (chain.reason != null) {
            return new Verification(false, chain.checked, signed.size(), chain.brokenSeq, chain.reason, lastGood);
        }
        long matchedUpTo = 0;
        for (Checkpoint c : signed.stream().sorted(Comparator.comparingLong(Checkpoint::entryCount)).toList()) {
            if (c.entryCount() > chain.checked) {
                return new Verification(false, chain.checked, signed.size(), chain.checked + 1,
                        "entries " + (chain.checked + 1) + " to " + c.entryCount() + " are missing: the checkpoint signed at "
                                + Instant.ofEpochMilli(c.at()) + " covers " + c.entryCount() + " entries, only "
                                + chain.checked + " are present (the log was truncated)", lastGood);
            }
            if (!c.headHash().equals(chain.hashAt.get(c.entryCount()))) {
                return new Verification(false, chain.checked, signed.size(), matchedUpTo + 1,
                        "the entries after " + matchedUpTo + " up to " + c.entryCount() + " were rewritten: entry "
                                + c.entryCount() + " does not have the hash the checkpoint signed at "
                                + Instant.ofEpochMilli(c.at()) + " records", lastGood);
            }
            matchedUpTo = c.entryCount();
        }
        return new Verification(true, chain.checked, signed.size(), null, null, lastGood);
    }

    private boolean signatureHolds(Checkpoint c) {
        if (verifier == null) {
            return false;
        }
        try {
            verifier.verify(Base64.getDecoder().decode(c.signature()), c.signedBytes());
            return true;
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    /** The chain walk: the first break it meets, and the hash at each count a checkpoint names. */
    private static final class Chain {
        final Set<Long> counts;
        final Map<Long, String> hashAt = new HashMap<>();
        long checked;
        String previous = AuditLog.GENESIS;
        Long brokenSeq;
        String reason;

        Chain(Set<Long> counts) {
            this.counts = counts;
            hashAt.put(0L, AuditLog.GENESIS);
        }

        void check(AuditEntry e) {
            if (reason != null) {
                return;
            }
            long expected = checked + 1;
            if (e.seq() != expected) {
                broken(expected, "entry " + expected + " is missing: the next entry present is " + e.seq());
            } else if (!e.previousHash().equals(previous)) {
                broken(e.seq(), "entry " + e.seq() + " does not follow entry " + (e.seq() - 1) + ": its previous_hash is"
                        + " not that entry's hash (it was edited, or an entry was inserted, deleted or moved here)");
            } else if (!e.hash().equals(e.recomputedHash())) {
                broken(e.seq(), "entry " + e.seq() + " was altered: its fields do not hash to its stored hash");
            } else {
                checked = e.seq();
                previous = e.hash();
                if (counts.contains(checked)) {
                    hashAt.put(checked, previous);
                }
            }
        }

        private void broken(long seq, String why) {
            brokenSeq = seq;
            reason = why;
        }
    }
}

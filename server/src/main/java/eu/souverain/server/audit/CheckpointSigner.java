package eu.souverain.server.audit;

import com.google.crypto.tink.PublicKeyVerify;
import eu.souverain.server.store.SigningKey;
import java.nio.file.Path;
import java.util.Base64;

/**
 * Signs audit checkpoints with the audit signing key, an Ed25519 key kept in a 0600 file under
 * the data directory and created on first use. Its public keyset, which anyone may hold,
 * verifies them.
 */
public final class CheckpointSigner {

    /** The private keyset's file name inside the data directory. */
    public static final String FILE = "audit-signing-key.json";

    private final SigningKey key;

    private CheckpointSigner(SigningKey key) {
        this.key = key;
    }

    /** The key in {@code file}, created if absent; a file others may read, or a corrupt one, is refused by name. */
    public static CheckpointSigner open(Path file) {
        return new CheckpointSigner(SigningKey.open(file, "the audit signing key"));
    }

    public Checkpoint sign(long entryCount, String headHash, long at) {
        byte[] signature = key.sign(Checkpoint.signedBytes(entryCount, headHash, at));
        return new Checkpoint(entryCount, headHash, at, keyId(), Base64.getEncoder().encodeToString(signature));
    }

    public String keyId() {
        return key.keyId();
    }

    /** The public keyset as Tink JSON: what an auditor needs to check checkpoints, and nothing secret. */
    public String publicKeyset() {
        return key.publicKeyset();
    }

    /** A verifier from a public keyset that {@link #publicKeyset()} wrote. */
    public static PublicKeyVerify verifier(String publicKeyset) {
        return SigningKey.verifier(publicKeyset);
    }
}

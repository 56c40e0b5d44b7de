package eu.souverain.server.provenance;

import eu.souverain.server.store.SigningKey;
import java.nio.file.Path;

/**
 * Signs provenance statements with the server's provenance key: an Ed25519 key of its own, the
 * audit signing key's sibling, so that handing out statements never involves the key that seals
 * the audit log. Kept as a 0600 file under the data directory, created on first use.
 */
public final class ProvenanceSigner {

    /** The private keyset's file name inside the data directory. */
    public static final String FILE = "provenance-signing-key.json";

    private final SigningKey key;

    private ProvenanceSigner(SigningKey key) {
        this.key = key;
    }

    /** The key in {@code file}, created if absent; a file others may read, or a corrupt one, is refused by name. */
    public static ProvenanceSigner open(Path file) {
        return new ProvenanceSigner(SigningKey.open(file, "the provenance signing key"));
    }

    public SignedStatement sign(Statement statement) {
        String keyId = key.keyId();
        return new SignedStatement(statement, keyId, key.sign(statement.signedBytes(keyId)));
    }

    /** The public keyset as Tink JSON: what anyone needs to verify statements, and nothing secret. */
    public String publicKeyset() {
        return key.publicKeyset();
    }

    public String keyId() {
        return key.keyId();
    }
}

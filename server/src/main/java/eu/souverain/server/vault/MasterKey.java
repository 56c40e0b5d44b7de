package eu.souverain.server.vault;

/**
 * The key that wraps every data key, held by a key provider outside the database: a key file
 * under the data directory, or a HashiCorp Vault / OpenBao Transit key. It has versions; rotating
 * makes a new version current, and the older ones still unwrap what they wrapped.
 */
public interface MasterKey {

    /** Which provider holds the key and where, for the sovereignty report (never key material). */
    String provider();

    /** The current version's id, e.g. {@code file:1234567} or {@code transit:souverain:v2}. */
    String currentKeyId();

    /** The id of the version that wrapped {@code wrapped}. */
    String keyId(byte[] wrapped);

    byte[] wrap(byte[] plaintext);

    byte[] unwrap(byte[] wrapped);

    /** {@code wrapped} wrapped again under the current version (inside the provider where it can). */
    byte[] rewrap(byte[] wrapped);

    /** Makes a new version current; earlier versions keep unwrapping. Returns the new version's id. */
    String rotate();

    /**
     * Destroys every version but the current one: whatever only they wrapped, in old backups of the
     * database too, can no longer be unwrapped.
     */
    void retireOlderVersions();
}

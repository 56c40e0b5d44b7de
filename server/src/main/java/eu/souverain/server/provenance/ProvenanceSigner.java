package eu.souverain.server.provenance;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.PublicKeySign;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.signature.PredefinedSignatureParameters;
import com.google.crypto.tink.signature.SignatureConfig;
import eu.souverain.server.vault.SecretFile;
import eu.souverain.server.vault.VaultException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;

/**
 * Signs provenance statements with the server's provenance key: an Ed25519 key (Tink) of its own,
 * the audit signing key's sibling, so that handing out statements never exposes the key that seals
 * the audit log. Kept as a 0600 file under the data directory, created on first use.
 */
public final class ProvenanceSigner {

    /** The private keyset's file name inside the data directory. */
    public static final String FILE = "provenance-signing-key.json";

    static {
        try {
            SignatureConfig.register();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final KeysetHandle keyset;
    private final PublicKeySign sign;

    private ProvenanceSigner(KeysetHandle keyset) throws GeneralSecurityException {
        this.keyset = keyset;
        this.sign = keyset.getPrimitive(RegistryConfiguration.get(), PublicKeySign.class);
    }

    /** The key in {@code file}, created if absent; a file others may read, or a corrupt one, is refused by name. */
    public static ProvenanceSigner open(Path file) {
        Path absolute = file.toAbsolutePath();
        try {
            if (Files.notExists(absolute)) {
                KeysetHandle created = KeysetHandle.generateNew(PredefinedSignatureParameters.ED25519);
                SecretFile.write(absolute, TinkJsonProtoKeysetFormat.serializeKeyset(created, InsecureSecretKeyAccess.get())
                        .getBytes(StandardCharsets.UTF_8));
                return new ProvenanceSigner(created);
            }
            String content = new String(SecretFile.read(absolute), StandardCharsets.UTF_8);
            return new ProvenanceSigner(TinkJsonProtoKeysetFormat.parseKeyset(content, InsecureSecretKeyAccess.get()));
        } catch (IOException e) {
            throw new VaultException("cannot use the provenance signing key file " + absolute + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new VaultException("the provenance signing key file " + absolute + " holds no Ed25519 signing key", e);
        }
    }

    public SignedStatement sign(Statement statement) {
        try {
            String keyId = keyId();
            return new SignedStatement(statement, keyId, sign.sign(statement.signedBytes(keyId)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
    }

    public String keyId() {
        return "ed25519:" + Integer.toUnsignedString(keyset.getPrimary().getId());
    }

    /** The public keyset as Tink JSON: what anyone needs to verify statements, and nothing secret. */
    public String publicKeyset() {
        try {
            return TinkJsonProtoKeysetFormat.serializeKeysetWithoutSecret(keyset.getPublicKeysetHandle());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("an Ed25519 keyset always has a public part", e);
        }
    }
}

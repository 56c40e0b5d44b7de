package eu.souverain.server.audit;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.PublicKeySign;
import com.google.crypto.tink.PublicKeyVerify;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.signature.PredefinedSignatureParameters;
import com.google.crypto.tink.signature.SignatureConfig;
import eu.souverain.server.store.SecretFile;
import eu.souverain.server.store.SecretFileException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Base64;

/**
 * Signs audit checkpoints with an Ed25519 key (Tink), kept as a private keyset in a 0600 file
 * under the data directory and created on first use. Its public keyset, which anyone may hold,
 * verifies them.
 */
public final class CheckpointSigner {

    /** The private keyset's file name inside the data directory. */
    public static final String FILE = "audit-signing-key.json";

    static {
        try {
            SignatureConfig.register();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final KeysetHandle keyset;
    private final PublicKeySign sign;

    private CheckpointSigner(KeysetHandle keyset) throws GeneralSecurityException {
        this.keyset = keyset;
        this.sign = keyset.getPrimitive(RegistryConfiguration.get(), PublicKeySign.class);
    }

    /** The key in {@code file}, created if absent; a file others may read, or a corrupt one, is refused by name. */
    public static CheckpointSigner open(Path file) {
        Path absolute = file.toAbsolutePath();
        try {
            if (Files.notExists(absolute)) {
                KeysetHandle created = KeysetHandle.generateNew(PredefinedSignatureParameters.ED25519);
                SecretFile.write(absolute, TinkJsonProtoKeysetFormat.serializeKeyset(created, InsecureSecretKeyAccess.get())
                        .getBytes(StandardCharsets.UTF_8));
                return new CheckpointSigner(created);
            }
            return new CheckpointSigner(read(absolute));
        } catch (IOException e) {
            throw new SecretFileException("cannot use the audit signing key file " + absolute + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new SecretFileException("the audit signing key file " + absolute + " holds no Ed25519 signing key", e);
        }
    }

    private static KeysetHandle read(Path file) throws IOException {
        String content = new String(SecretFile.read(file), StandardCharsets.UTF_8);
        try {
            return TinkJsonProtoKeysetFormat.parseKeyset(content, InsecureSecretKeyAccess.get());
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new SecretFileException("the audit signing key file " + file + " is corrupt: it is not a Tink keyset ("
                    + e.getClass().getSimpleName() + ")", e);
        }
    }

    public Checkpoint sign(long entryCount, String headHash, long at) {
        try {
            byte[] signature = sign.sign(Checkpoint.signedBytes(entryCount, headHash, at));
            return new Checkpoint(entryCount, headHash, at, keyId(), Base64.getEncoder().encodeToString(signature));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
    }

    public String keyId() {
        return "ed25519:" + Integer.toUnsignedString(keyset.getPrimary().getId());
    }

    /** The public keyset as Tink JSON: what an auditor needs to check checkpoints, and nothing secret. */
    public String publicKeyset() {
        try {
            return TinkJsonProtoKeysetFormat.serializeKeysetWithoutSecret(keyset.getPublicKeysetHandle());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("an Ed25519 keyset always has a public part", e);
        }
    }

    /** A verifier from a public keyset that {@link #publicKeyset()} wrote. */
    public static PublicKeyVerify verifier(String publicKeyset) {
        try {
            return TinkJsonProtoKeysetFormat.parseKeysetWithoutSecret(publicKeyset)
                    .getPrimitive(RegistryConfiguration.get(), PublicKeyVerify.class);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("not a Tink public signature keyset (" + e.getClass().getSimpleName() + ")", e);
        }
    }
}

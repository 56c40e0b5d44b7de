package eu.souverain.server.store;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.PublicKeySign;
import com.google.crypto.tink.PublicKeyVerify;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.signature.PredefinedSignatureParameters;
import com.google.crypto.tink.signature.SignatureConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;

/**
 * An Ed25519 signing key (a Tink keyset) kept in a {@link SecretFile} under the data directory and
 * created on first use. Its public keyset, which anyone may hold, verifies what it signs. The
 * audit checkpoints and the provenance statements each have one, so that neither key can sign for
 * the other.
 */
public final class SigningKey {

    static {
        try {
            SignatureConfig.register();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final KeysetHandle keyset;
    private final PublicKeySign sign;

    private SigningKey(KeysetHandle keyset) throws GeneralSecurityException {
        this.keyset = keyset;
        this.sign = keyset.getPrimitive(RegistryConfiguration.get(), PublicKeySign.class);
    }

    /**
     * The key in {@code file}, created if absent; a file others may read, or a corrupt one, is
     * refused naming it as {@code name} ("the audit signing key").
     */
    public static SigningKey open(Path file, String name) {
        Path absolute = file.toAbsolutePath();
        try {
            if (Files.notExists(absolute)) {
                KeysetHandle created = KeysetHandle.generateNew(PredefinedSignatureParameters.ED25519);
                SecretFile.write(absolute, TinkJsonProtoKeysetFormat.serializeKeyset(created, InsecureSecretKeyAccess.get())
                        .getBytes(StandardCharsets.UTF_8));
                return new SigningKey(created);
            }
            return new SigningKey(read(absolute, name));
        } catch (IOException e) {
            throw new SecretFileException("cannot use " + name + " file " + absolute + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new SecretFileException(name + " file " + absolute + " holds no Ed25519 signing key", e);
        }
    }

    private static KeysetHandle read(Path file, String name) throws IOException {
        String content = new String(SecretFile.read(file), StandardCharsets.UTF_8);
        try {
            return TinkJsonProtoKeysetFormat.parseKeyset(content, InsecureSecretKeyAccess.get());
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new SecretFileException(name + " file " + file + " is corrupt: it is not a Tink keyset ("
                    + e.getClass().getSimpleName() + ")", e);
        }
    }

    public byte[] sign(byte[] data) {
        try {
            return sign.sign(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
    }

    public String keyId() {
        return "ed25519:" + Integer.toUnsignedString(keyset.getPrimary().getId());
    }

    /** The public keyset as Tink JSON: what a verifier needs, and nothing secret. */
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

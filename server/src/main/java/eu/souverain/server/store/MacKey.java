package eu.souverain.server.store;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.Mac;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.mac.MacConfig;
import com.google.crypto.tink.mac.PredefinedMacParameters;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;

/**
 * A server secret for tags that only this server makes and checks: an HMAC-SHA256 key (a Tink
 * keyset, 256-bit tags) kept in a {@link SecretFile} under the data directory and created on first
 * use, as {@link SigningKey} keeps its signing keys. Unlike a signature, its tags prove nothing to
 * anyone else: they let the server recognize what it handed out (a signed link).
 */
public final class MacKey {

    static {
        try {
            MacConfig.register();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Mac mac;

    private MacKey(KeysetHandle keyset) throws GeneralSecurityException {
        this.mac = keyset.getPrimitive(RegistryConfiguration.get(), Mac.class);
    }

    /**
     * The key in {@code file}, created if absent; a file others may read, or a corrupt one, is
     * refused naming it as {@code name} ("the document link key").
     */
    public static MacKey open(Path file, String name) {
        Path absolute = file.toAbsolutePath();
        try {
            if (Files.notExists(absolute)) {
                KeysetHandle created = KeysetHandle.generateNew(PredefinedMacParameters.HMAC_SHA256_256BITTAG);
                SecretFile.write(absolute, TinkJsonProtoKeysetFormat.serializeKeyset(created, InsecureSecretKeyAccess.get())
                        .getBytes(StandardCharsets.UTF_8));
                return new MacKey(created);
            }
            String content = new String(SecretFile.read(absolute), StandardCharsets.UTF_8);
            KeysetHandle keyset;
            try {
                keyset = TinkJsonProtoKeysetFormat.parseKeyset(content, InsecureSecretKeyAccess.get());
            } catch (GeneralSecurityException | RuntimeException e) {
                throw new SecretFileException(name + " file " + absolute + " is corrupt: it is not a Tink keyset ("
                        + e.getClass().getSimpleName() + ")", e);
            }
            return new MacKey(keyset);
        } catch (IOException e) {
            throw new SecretFileException("cannot use " + name + " file " + absolute + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new SecretFileException(name + " file " + absolute + " holds no HMAC key", e);
        }
    }

    public byte[] tag(byte[] data) {
        try {
            return mac.computeMac(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 failed", e);
        }
    }

    /** Whether {@code tag} is this key's tag of {@code data}, compared in constant time. */
    public boolean verifies(byte[] tag, byte[] data) {
        try {
            mac.verifyMac(tag, data);
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}

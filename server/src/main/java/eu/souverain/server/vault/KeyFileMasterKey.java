package eu.souverain.server.vault;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import eu.souverain.server.store.SecretFile;
import eu.souverain.server.store.SecretFileException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;

/**
 * The master key as a Tink AES-256-GCM keyset in a 0600 file under the data directory, created on
 * first use. Each version is one key of the keyset; Tink's ciphertext prefix names the key that
 * made it, so every version stays able to unwrap its own data keys.
 */
public final class KeyFileMasterKey implements MasterKey {

    /** The file's name inside the data directory. */
    public static final String FILE = "master-key.json";

    static {
        try {
            AeadConfig.register();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Path file;
    private KeysetHandle keyset;
    private Aead aead;

    private KeyFileMasterKey(Path file, KeysetHandle keyset) {
        this.file = file;
        use(keyset);
    }

    /**
     * The key in {@code file}, created with one fresh key if the file is absent. Refuses a file
     * that others may read or that is not an AES-GCM keyset, naming it.
     */
    public static KeyFileMasterKey open(Path file) {
        Path absolute = file.toAbsolutePath();
        try {
            if (Files.notExists(absolute)) {
                KeysetHandle created = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM);
                write(absolute, created);
                return new KeyFileMasterKey(absolute, created);
            }
            return new KeyFileMasterKey(absolute, read(absolute));
        } catch (SecretFileException e) {
            throw new VaultException(e.getMessage(), e);
        } catch (IOException e) {
            throw new VaultException("cannot use the master key file " + absolute + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new VaultException("cannot create a master key: " + e.getMessage(), e);
        }
    }

    private static KeysetHandle read(Path file) throws IOException {
        byte[] content = SecretFile.read(file);
        try {
            KeysetHandle keyset = TinkJsonProtoKeysetFormat.parseKeyset(new String(content, StandardCharsets.UTF_8),
                    InsecureSecretKeyAccess.get());
            keyset.getPrimitive(RegistryConfiguration.get(), Aead.class);
            return keyset;
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new VaultException("the master key file " + file + " is corrupt: it is not a Tink AES-GCM keyset ("
                    + e.getClass().getSimpleName() + ")", e);
        }
    }

    private static void write(Path file, KeysetHandle keyset) throws IOException, GeneralSecurityException {
        SecretFile.write(file, TinkJsonProtoKeysetFormat.serializeKeyset(keyset, InsecureSecretKeyAccess.get())
                .getBytes(StandardCharsets.UTF_8));
    }

    private void use(KeysetHandle keyset) {
        try {
            this.aead = keyset.getPrimitive(RegistryConfiguration.get(), Aead.class);
            this.keyset = keyset;
        } catch (GeneralSecurityException e) {
            throw new VaultException("the master key file " + file + " holds no usable AES-GCM key", e);
        }
    }

    @Override
    public String provider() {
        return "key file " + file;
    }

    @Override
    public synchronized String currentKeyId() {
        return "file:" + Integer.toUnsignedString(keyset.getPrimary().getId());
    }

    @Override
    public String keyId(byte[] wrapped) {
        // Tink's prefix: one version byte, then the id of the key that encrypted.
        if (wrapped.length < 5) {
            throw new VaultException("a wrapped data key is too short to be one (" + wrapped.length + " bytes)");
        }
        int id = ((wrapped[1] & 0xff) << 24) | ((wrapped[2] & 0xff) << 16) | ((wrapped[3] & 0xff) << 8) | (wrapped[4] & 0xff);
        return "file:" + Integer.toUnsignedString(id);
    }

    @Override
    public synchronized byte[] wrap(byte[] plaintext) {
        try {
            return aead.encrypt(plaintext, new byte[0]);
        } catch (GeneralSecurityException e) {
            throw new VaultException("the master key in " + file + " cannot wrap a data key", e);
        }
    }

    @Override
    public synchronized byte[] unwrap(byte[] wrapped) {
        try {
            return aead.decrypt(wrapped, new byte[0]);
        } catch (GeneralSecurityException first) {
            // Another process (`souverain vault rotate` beside a running server) may have rotated the file.
            try {
                use(read(file));
                return aead.decrypt(wrapped, new byte[0]);
            } catch (IOException e) {
                throw new VaultException("cannot read the master key file " + file + ": " + e.getMessage(), e);
            } catch (GeneralSecurityException e) {
                throw new VaultException("the master key in " + file + " does not unwrap a data key wrapped by "
                        + keyId(wrapped) + ": that version is not in the file, or the wrapped key was altered", e);
            }
        }
    }

    @Override
    public synchronized byte[] rewrap(byte[] wrapped) {
        return wrap(unwrap(wrapped));
    }

    @Override
    public synchronized String rotate() {
        try {
            KeysetHandle rotated = KeysetHandle.newBuilder(read(file))
                    .addEntry(KeysetHandle.generateEntryFromParameters(PredefinedAeadParameters.AES256_GCM)
                            .withRandomId().makePrimary())
                    .build();
            write(file, rotated);
            use(rotated);
            return currentKeyId();
        } catch (IOException e) {
            throw new VaultException("cannot rotate the master key in " + file + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new VaultException("cannot rotate the master key in " + file, e);
        }
    }

    @Override
    public synchronized void retireOlderVersions() {
        try {
            KeysetHandle.Builder builder = KeysetHandle.newBuilder(read(file));
            for (int i = builder.size() - 1; i >= 0; i--) {
                if (!builder.getAt(i).isPrimary()) {
                    builder.deleteAt(i);
                }
            }
            KeysetHandle current = builder.build();
            write(file, current);
            use(current);
        } catch (IOException e) {
            throw new VaultException("cannot retire old master keys in " + file + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new VaultException("cannot retire old master keys in " + file, e);
        }
    }
}

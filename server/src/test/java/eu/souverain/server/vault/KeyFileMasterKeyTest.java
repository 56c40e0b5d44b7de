package eu.souverain.server.vault;

import eu.souverain.server.store.SecretFile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyFileMasterKeyTest {

    @TempDir
    Path dir;

    @Test
    void createdOnFirstUseReadableByItsOwnerOnlyAndReopened() throws Exception {
        Path file = dir.resolve("data").resolve(KeyFileMasterKey.FILE);
        KeyFileMasterKey key = KeyFileMasterKey.open(file);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        byte[] wrapped = key.wrap("data key".getBytes(StandardCharsets.UTF_8));
        assertThat(new String(KeyFileMasterKey.open(file).unwrap(wrapped), StandardCharsets.UTF_8)).isEqualTo("data key");
        assertThat(key.keyId(wrapped)).isEqualTo(key.currentKeyId()).startsWith("file:");
        assertThat(key.provider()).contains(file.toAbsolutePath().toString());
    }

    @Test
    void refusesAFileOthersCanReadNamingIt() throws Exception {
        Path file = dir.resolve(KeyFileMasterKey.FILE);
        KeyFileMasterKey.open(file);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> KeyFileMasterKey.open(file)).isInstanceOf(VaultException.class)
                .hasMessageContaining(file.toAbsolutePath().toString()).hasMessageContaining("rw-r--r--")
                .hasMessageContaining("chmod 600");
    }

    @Test
    void refusesACorruptFileNamingIt() throws Exception {
        Path file = dir.resolve(KeyFileMasterKey.FILE);
        SecretFile.write(file, "{\"primaryKeyId\": 1, \"key\": [".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> KeyFileMasterKey.open(file)).isInstanceOf(VaultException.class)
                .hasMessageContaining(file.toAbsolutePath().toString()).hasMessageContaining("corrupt");
    }

    @Test
    void rotationAddsACurrentVersionAndKeepsTheOldOneUnwrapping() {
        Path file = dir.resolve(KeyFileMasterKey.FILE);
        KeyFileMasterKey key = KeyFileMasterKey.open(file);
        String first = key.currentKeyId();
        byte[] old = key.wrap(new byte[] {1, 2, 3});
        String second = key.rotate();
        assertThat(second).isNotEqualTo(first).isEqualTo(key.currentKeyId());
        byte[] rewrapped = key.rewrap(old);
        assertThat(key.keyId(old)).isEqualTo(first);
        assertThat(key.keyId(rewrapped)).isEqualTo(second);
        KeyFileMasterKey reopened = KeyFileMasterKey.open(file);
        assertThat(reopened.currentKeyId()).isEqualTo(second);
        assertThat(reopened.unwrap(old)).containsExactly(1, 2, 3);
        assertThat(reopened.unwrap(rewrapped)).containsExactly(1, 2, 3);
    }

    /** A server keeps working after `souverain vault rotate` rotated the file beside it. */
    @Test
    void unwrapsWhatAnotherProcessWrappedAfterRotatingTheFile() {
        Path file = dir.resolve(KeyFileMasterKey.FILE);
        KeyFileMasterKey running = KeyFileMasterKey.open(file);
        KeyFileMasterKey other = KeyFileMasterKey.open(file);
        other.rotate();
        byte[] wrapped = other.wrap(new byte[] {9});
        assertThat(running.unwrap(wrapped)).containsExactly(9);
        byte[] altered = wrapped.clone();
        altered[altered.length - 1] ^= 1;
        assertThatThrownBy(() -> running.unwrap(altered)).isInstanceOf(VaultException.class)
                .hasMessageContaining("altered");
    }
}

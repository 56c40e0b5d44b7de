package eu.souverain.server.sovereignty;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who can read a directory, from its permissions and a group and passwd file written by the test. */
class DirectoryAccessTest {

    @TempDir
    Path dir;

    private DirectoryAccess access(String permissions, boolean groupReadable) throws IOException {
        Path data = dir.resolve("data");
        Files.createDirectories(data);
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString(permissions));
        PosixFileAttributes attributes = Files.readAttributes(data, PosixFileAttributes.class);
        String group = attributes.group().getName();
        Path groupFile = dir.resolve("group");
        Path passwd = dir.resolve("passwd");
        Files.writeString(groupFile, "other:x:4242:mallory\n" + group + ":x:4100:alice,bob\n");
        Files.writeString(passwd, "carol:x:1003:4100:Carol:/home/carol:/bin/sh\nmallory:x:1004:4242::/:/bin/sh\n");
        return DirectoryAccess.of(data, groupReadable ? groupFile : dir.resolve("no-such-group-file"), passwd);
    }

    @Test
    void theOwnerAloneAndRoot() throws IOException {
        DirectoryAccess access = access("rwx------", true);
        assertThat(access.readers()).doesNotContain("alice", "bob", "carol", "mallory").contains("root", access.owner());
        assertThat(access.everyone()).isFalse();
    }

    @Test
    void aReadableGroupAddsItsMembersListedAndByPrimaryGroup() throws IOException {
        DirectoryAccess access = access("rwxr-x---", true);
        assertThat(access.readers()).contains("root", access.owner(), "alice", "bob", "carol").doesNotContain("mallory");
        assertThat(access.permissions()).isEqualTo("rwxr-x---");
        assertThat(access.membersKnown()).isTrue();
    }

    @Test
    void readingWithoutSearchPermissionIsNoAccess() throws IOException {
        assertThat(access("rwxr-----", true).readers()).doesNotContain("alice");
    }

    @Test
    void anUnreadableGroupFileNamesTheGroup() throws IOException {
        DirectoryAccess access = access("rwxr-x---", false);
        assertThat(access.membersKnown()).isFalse();
        assertThat(access.readers()).contains("group:" + access.group());
    }

    @Test
    void everyAccountWhenOthersMayRead() throws IOException {
        assertThat(access("rwxr-xr-x", true).everyone()).isTrue();
    }
}

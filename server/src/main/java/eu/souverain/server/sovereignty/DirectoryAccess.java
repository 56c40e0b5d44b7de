package eu.souverain.server.sovereignty;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which operator accounts of this host can read a directory, from its POSIX owner, group and
 * permissions: reading the files in it takes read and search (x) permission on it. The group's
 * members come from /etc/group and /etc/passwd (those whose primary group it is), when readable.
 *
 * @param owner        the owning account
 * @param group        the owning group
 * @param permissions  as ls writes them, e.g. rwx------
 * @param readers      the accounts that can read it, root first (root reads whatever the permissions say)
 * @param everyone     whether every account on the host can read it
 * @param membersKnown whether the group's members could be read; when not, the group is listed as "group:NAME"
 */
public record DirectoryAccess(Path directory, String owner, String group, String permissions, List<String> readers,
                              boolean everyone, boolean membersKnown) {

    public static DirectoryAccess of(Path directory) throws IOException {
        return of(directory, Path.of("/etc/group"), Path.of("/etc/passwd"));
    }

    static DirectoryAccess of(Path directory, Path groupFile, Path passwdFile) throws IOException {
        PosixFileAttributes attributes = Files.readAttributes(directory, PosixFileAttributes.class);
        Set<PosixFilePermission> p = attributes.permissions();
        String owner = attributes.owner().getName();
        String group = attributes.group().getName();
        Set<String> readers = new LinkedHashSet<>();
        readers.add("root");
        if (p.contains(PosixFilePermission.OWNER_READ) && p.contains(PosixFilePermission.OWNER_EXECUTE)) {
            readers.add(owner);
        }
        boolean membersKnown = true;
        if (p.contains(PosixFilePermission.GROUP_READ) && p.contains(PosixFilePermission.GROUP_EXECUTE)) {
            List<String> members = members(group, groupFile, passwdFile);
            if (members == null) {
                membersKnown = false;
                readers.add("group:" + group);
            } else {
                readers.addAll(members);
            }
        }
        boolean everyone = p.contains(PosixFilePermission.OTHERS_READ) && p.contains(PosixFilePermission.OTHERS_EXECUTE);
        return new DirectoryAccess(directory.toAbsolutePath(), owner, group, PosixFilePermissions.toString(p),
                List.copyOf(readers), everyone, membersKnown);
    }

    /** The group's members: listed in /etc/group, and those whose primary group it is; null when unreadable. */
    private static List<String> members(String group, Path groupFile, Path passwdFile) {
        List<String> members = new ArrayList<>();
        String gid = null;
        try {
            for (String line : Files.readAllLines(groupFile)) {
                String[] fields = line.split(":", -1);
                if (fields.length >= 4 && fields[0].equals(group)) {
                    gid = fields[2];
                    for (String member : fields[3].split(",")) {
                        if (!member.isBlank()) {
                            members.add(member.strip());
                        }
                    }
                }
            }
        } catch (IOException e) {
            return null;
        }
        if (gid == null) {
            return null;
        }
        try {
            for (String line : Files.readAllLines(passwdFile)) {
                String[] fields = line.split(":", -1);
                if (fields.length >= 4 && fields[3].equals(gid) && !members.contains(fields[0])) {
                    members.add(fields[0]);
                }
            }
        } catch (IOException e) {
            // The listed members are still known; those by primary group are not.
        }
        return members;
    }
}

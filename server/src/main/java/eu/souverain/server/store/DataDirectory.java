package eu.souverain.server.store;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * The data directory holds e-mails, password and key hashes, sessions and the audit log: it is made
 * readable by its owner only (0700, its files 0600), whatever the process's umask says. A directory
 * that exists already keeps its permissions, which the operator may have widened on purpose (a
 * backup group), but a wider one is named at start and in the sovereignty report.
 */
public final class DataDirectory {

    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final Set<PosixFilePermission> OWNER_DIRECTORY = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> OWNER_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private DataDirectory() {}

    /** Makes {@code directory}, and any missing parent, readable by their owner only; an existing one is left as it is. */
    public static void create(Path directory) throws IOException {
        Path absolute = directory.toAbsolutePath();
        if (!POSIX || Files.isDirectory(absolute)) {
            Files.createDirectories(absolute);
            return;
        }
        // The umask only takes bits away from 0700, so the directories come out 0700 or narrower.
        Files.createDirectories(absolute, PosixFilePermissions.asFileAttribute(OWNER_DIRECTORY));
    }

    /**
     * Creates {@code file} empty and 0600 when absent, so that nothing is ever written to it under
     * wider permissions (SQLite takes an empty file as a new database, and gives its -wal and -shm
     * files the database's permissions); narrows it to its owner when it exists with more.
     */
    public static void ownerOnlyFile(Path file) throws IOException {
        if (!POSIX) {
            return;
        }
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_FILE));
        } catch (FileAlreadyExistsException e) {
            narrowToOwner(file);
        }
    }

    /** Takes every permission of the group and others off {@code file}, when it exists. */
    public static void narrowToOwner(Path file) throws IOException {
        if (!POSIX || !Files.exists(file)) {
            return;
        }
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
        if (permissions.removeAll(OTHERS)) {
            Files.setPosixFilePermissions(file, permissions);
        }
    }

    /** A warning when others than the owner may enter or read {@code directory}; empty when it is 0700 or narrower. */
    public static Optional<String> widerThanOwner(Path directory) {
        if (!POSIX || !Files.isDirectory(directory)) {
            return Optional.empty();
        }
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(directory);
            if (permissions.stream().noneMatch(OTHERS::contains)) {
                return Optional.empty();
            }
            Path absolute = directory.toAbsolutePath().normalize();
            return Optional.of("the data directory " + absolute + " has permissions "
                    + PosixFilePermissions.toString(permissions) + ": accounts other than its owner may enter it;"
                    + " run 'chmod 700 " + absolute + "' unless that is meant");
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}

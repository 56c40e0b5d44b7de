package eu.souverain.server.store;

import eu.souverain.server.store.DataDirectory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * A file that holds secret key material: readable and writable by its owner only (0600), written
 * whole or not at all. Reading one whose permissions let anyone else in is refused, naming the
 * file, rather than trusting a key others may have copied.
 */
public final class SecretFile {

    private static final Set<PosixFilePermission> OWNER_ONLY =
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    private SecretFile() {
    }

    /** The file's bytes, after checking that only its owner may read or write it. */
    public static byte[] read(Path file) throws IOException {
        if (POSIX) {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (!OWNER_ONLY.containsAll(permissions)) {
                throw new SecretFileException("the key file " + file.toAbsolutePath() + " has permissions "
                        + PosixFilePermissions.toString(permissions) + ": others may have read it; it must be"
                        + " readable by its owner only (chmod 600 " + file.toAbsolutePath() + ")");
            }
        }
        return Files.readAllBytes(file);
    }

    /**
     * Replaces {@code file} with {@code content}: written to a 0600 temporary file beside it, forced
     * to disk, then moved over it atomically, so a crash leaves the old key or the new one.
     */
    public static void write(Path file, byte[] content) throws IOException {
        Path absolute = file.toAbsolutePath();
        DataDirectory.create(absolute.getParent());
        Path temporary = absolute.resolveSibling(absolute.getFileName() + ".tmp");
        Files.deleteIfExists(temporary);
        if (POSIX) {
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        }
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
        try {
            Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}

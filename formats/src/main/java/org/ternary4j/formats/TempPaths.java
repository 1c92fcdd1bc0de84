package org.ternary4j.formats;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@link Files#createTempFile(Path, String, String)} and {@link Files#createTempDirectory(Path,
 * String)} with the same names ({@code PREFIX<digits>SUFFIX}), permissions (0600, 0700) and
 * create-new semantics, without their {@link java.security.SecureRandom}: seeding it loads the
 * security providers, about 0.06 CPU-seconds of every command that writes a file. The names only
 * need to be new, not secret: creation fails on any existing name (a planted link included, as
 * the kernel's exclusive create does not follow one), and then another name is tried.
 */
public final class TempPaths {
    private TempPaths() {}

    /** A new empty file {@code dir/PREFIX<digits>SUFFIX}, private to its owner where the file system has POSIX permissions. */
    public static Path createFile(Path dir, String prefix, String suffix) throws IOException {
        FileAttribute<?>[] attrs = posix(dir) ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))} : new FileAttribute<?>[0];
        while (true) {
            try {
                return Files.createFile(dir.resolve(name(prefix, suffix)), attrs);
            } catch (FileAlreadyExistsException e) {
                // taken: draw another name
            }
        }
    }

    /** A new empty folder {@code dir/PREFIX<digits>}, private to its owner where the file system has POSIX permissions. */
    public static Path createDirectory(Path dir, String prefix) throws IOException {
        FileAttribute<?>[] attrs = posix(dir) ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))} : new FileAttribute<?>[0];
        while (true) {
            try {
                return Files.createDirectory(dir.resolve(name(prefix, "")), attrs);
            } catch (FileAlreadyExistsException e) {
                // taken: draw another name
            }
        }
    }

    private static String name(String prefix, String suffix) {
        return prefix + Long.toUnsignedString(ThreadLocalRandom.current().nextLong()) + suffix;
    }

    private static boolean posix(Path dir) {
        return dir.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}

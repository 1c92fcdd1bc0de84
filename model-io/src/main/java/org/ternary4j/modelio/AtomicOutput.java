package org.ternary4j.modelio;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes a file so that readers only ever see nothing or the whole thing: the bytes go to a
 * temporary file in the target's folder, are fsynced, and the file is renamed over the target.
 * A crash or an exception leaves at most a hidden temporary file, never a partial output.
 */
public final class AtomicOutput implements AutoCloseable {
    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private boolean committed;

    private AtomicOutput(Path target, Path temp, FileChannel channel) {
        this.target = target;
        this.temp = temp;
        this.channel = channel;
    }

    /**
     * Opens a temporary file beside {@code target}. Refuses when the target is one of the
     * {@code inputs} (same file, even through another path), since writing over an input loses it.
     */
    public static AtomicOutput open(Path target, Path... inputs) throws IOException {
        Path abs = target.toAbsolutePath();
        for (Path in : inputs) {
            if (in != null && Files.exists(in) && Files.exists(abs) && Files.isSameFile(in, abs)) {
                throw new IOException(target + ": output would overwrite the input file");
            }
            if (in != null && in.toAbsolutePath().normalize().equals(abs.normalize())) {
                throw new IOException(target + ": output would overwrite the input file");
            }
        }
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) throw new IOException(target + ": output folder does not exist");
        Path temp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".part");
        try {
            // Temporary files are private (0600); the finished output should be readable like any other file.
            if (Files.getFileStore(temp).supportsFileAttributeView(PosixFileAttributeView.class)) {
                Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
            }
            return new AtomicOutput(abs, temp, FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING));
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
    }

    public FileChannel channel() {
        return channel;
    }

    public Path target() {
        return target;
    }

    /** Makes the output visible: fsync, then rename over the target. */
    public void commit() throws IOException {
        channel.force(true);
        channel.close();
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException(target + ": the file system cannot rename atomically", e);
        }
        committed = true;
    }

    /** Without a commit, the temporary file is removed and the target is left as it was. */
    @Override
    public void close() throws IOException {
        if (committed) return;
        channel.close();
        Files.deleteIfExists(temp);
    }
}

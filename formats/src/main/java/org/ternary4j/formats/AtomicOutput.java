package org.ternary4j.formats;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes a file so that readers only ever see nothing or the whole thing: the bytes go to a
 * temporary file in the target's folder, are fsynced, and the file is renamed over the target.
 * An exception removes the temporary file; a killed process (SIGKILL, power loss) can leave one
 * behind, named {@code .NAME.<random>.part}, never a partial {@code NAME}.
 *
 * <p>Leftovers are removed by the next {@link #open} of the same target: every writer holds an
 * exclusive lock on its temporary file for its whole life, the kernel drops that lock when the
 * process dies, so a {@code .NAME.*.part} file nobody holds locked is a dead run's and safe to delete.
 */
public final class AtomicOutput implements AutoCloseable {
    /** Temporary files this JVM is writing: never probed, since closing a probe channel would drop their lock. */
    private static final Set<Path> WRITING = ConcurrentHashMap.newKeySet();

    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private final FileChannel named;
    private boolean committed;

    private AtomicOutput(Path target, Path temp, FileChannel channel) {
        this.target = target;
        this.temp = temp;
        this.channel = channel;
        this.named = new NamedChannel(channel, target);
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
        removeStaleTemporaries(dir, abs.getFileName().toString());
        while (true) {
            Path temp = TempPaths.createFile(dir, tempPrefix(abs.getFileName().toString()), TEMP_SUFFIX);
            WRITING.add(temp);
            FileChannel channel = null;
            try {
                // Temporary files are private (0600); the finished output should be readable like any other file.
                if (Files.getFileStore(temp).supportsFileAttributeView(PosixFileAttributeView.class)) {
                    Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
                }
                channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                channel.lock();
                // Another run's cleanup may have taken the file between its creation and our lock: start over.
                if (Files.exists(temp)) return new AtomicOutput(abs, temp, channel);
            } catch (IOException | RuntimeException e) {
                WRITING.remove(temp);
                if (channel != null) channel.close();
                Files.deleteIfExists(temp);
                throw e;
            }
            WRITING.remove(temp);
            channel.close();
        }
    }

    private static final String TEMP_SUFFIX = ".part";

    private static String tempPrefix(String targetName) {
        return "." + targetName + ".";
    }

    /**
     * Deletes {@code .NAME.*.part} files in {@code dir} that no living process holds locked (left by
     * a killed run). Best effort: a file that cannot be probed is left alone.
     */
    static void removeStaleTemporaries(Path dir, String targetName) {
        String prefix = tempPrefix(targetName);
        DirectoryStream.Filter<Path> mine = p -> {
            String n = p.getFileName().toString();
            return n.startsWith(prefix) && n.endsWith(TEMP_SUFFIX) && n.length() > prefix.length() + TEMP_SUFFIX.length();
        };
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(dir, mine)) {
            for (Path p : leftovers) {
                if (WRITING.contains(p) || !Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) continue;
                try (FileChannel probe = FileChannel.open(p, StandardOpenOption.WRITE)) {
                    FileLock lock = probe.tryLock();
                    if (lock != null) Files.deleteIfExists(p); // deleted while locked: no writer can be starting on it
                } catch (IOException | OverlappingFileLockException e) {
                    // held by a living writer, or not ours to touch: leave it
                }
            }
        } catch (IOException e) {
            // the folder cannot be listed; opening the output will report anything that matters
        }
    }

    /** The temporary file's channel; its I/O errors (a full disk) name the target. */
    public FileChannel channel() {
        return named;
    }

    public Path target() {
        return target;
    }

    /**
     * A second channel on the temporary file that bypasses the page cache (Linux's O_DIRECT), its
     * I/O errors naming the target, for {@link DirectSink}, which closes it before the commit.
     * Throws when the file system or the JDK does not offer direct I/O.
     */
    FileChannel openDirect() throws IOException {
        return new NamedChannel(FileChannel.open(temp, StandardOpenOption.WRITE, DirectIo.OPTION.orElseThrow(() -> new IOException("direct I/O is not available"))), target);
    }

    /** Bytes a direct write's buffer address, file offset and length must be multiples of, for this output's file system. */
    long directAlignment() throws IOException {
        return Math.max(4096, Files.getFileStore(temp).getBlockSize());
    }

    /** Makes the output visible: fsync, then rename over the target. */
    public void commit() throws IOException {
        named.force(true);
        // Renamed while still open and locked, so no cleanup can mistake it for a leftover.
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException(target + ": the file system cannot rename atomically", e);
        }
        committed = true;
        WRITING.remove(temp);
        channel.close();
    }

    /** Without a commit, the temporary file is removed and the target is left as it was. */
    @Override
    public void close() throws IOException {
        if (committed) return;
        try {
            Files.deleteIfExists(temp);
        } finally {
            WRITING.remove(temp);
            channel.close();
        }
    }
}

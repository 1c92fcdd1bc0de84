package org.ternary4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import org.ternary4j.formats.TempPaths;

/**
 * All of a command's outputs or none: each output is written under its own name into a hidden
 * staging folder beside its target ({@code .t4j-staging.<random>}), and only when every output is
 * complete are the staged files renamed into place. A failure anywhere before that deletes the
 * staging folders and leaves every target as it was. Files a writer adds beside an output (ONNX
 * external data) travel with it.
 *
 * <p>A killed run leaves its staging folder; each folder holds a lock file locked for the run's life,
 * so the next staging in the same folder removes those nobody holds.
 */
final class StagedOutputs implements AutoCloseable {
    private static final String PREFIX = ".t4j-staging.";
    private static final String LOCK = ".lock";

    private record Stage(Path folder, FileChannel lock) {}

    private final Map<Path, Stage> stages = new LinkedHashMap<>();
    private final Map<Path, Path> staged = new LinkedHashMap<>();
    private boolean committed;

    /** Stages the given targets (nulls are skipped). */
    static StagedOutputs of(Path... targets) throws IOException {
        StagedOutputs s = new StagedOutputs();
        try {
            for (Path t : targets) if (t != null) s.add(t);
            return s;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private void add(Path target) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent == null || !Files.isDirectory(parent)) throw new IOException(target + ": output folder does not exist");
        Stage stage = stages.get(parent);
        if (stage == null) {
            removeAbandoned(parent);
            Path folder = TempPaths.createDirectory(parent, PREFIX);
            FileChannel lock = FileChannel.open(folder.resolve(LOCK), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            lock.lock();
            stage = new Stage(folder, lock);
            stages.put(parent, stage);
        }
        staged.put(target, stage.folder().resolve(abs.getFileName()));
    }

    /** Where to write {@code target} (null for null). */
    Path path(Path target) {
        if (target == null) return null;
        Path p = staged.get(target);
        if (p == null) throw new IllegalArgumentException(target + ": not a staged output");
        return p;
    }

    /** The work that writes the staged outputs. */
    @FunctionalInterface
    interface Work<T> {
        T run() throws IOException;
    }

    /**
     * Runs {@code work}, then commits. Its errors name the targets, not the staging folders
     * (a full disk is reported on the output the user named).
     */
    <T> T commitAfter(Work<T> work) throws IOException {
        try {
            T result = work.run();
            commit();
            return result;
        } catch (IOException e) {
            String m = unstaged(e.getMessage());
            throw Objects.equals(m, e.getMessage()) ? e : new IOException(m, e);
        } catch (IllegalArgumentException e) {
            String m = unstaged(e.getMessage());
            throw Objects.equals(m, e.getMessage()) ? e : new IllegalArgumentException(m, e);
        }
    }

    /** A message with every staged path replaced by its target as the user gave it. */
    private String unstaged(String message) {
        if (message == null) return null;
        String m = message;
        for (var t : staged.entrySet()) m = m.replace(t.getValue().toString(), t.getKey().toString());
        for (var s : stages.entrySet()) m = m.replace(s.getValue().folder().toString(), s.getKey().toString());
        return m;
    }

    /** Moves every staged file into its target folder. */
    void commit() throws IOException {
        for (Path want : staged.values()) {
            if (!Files.isRegularFile(want, LinkOption.NOFOLLOW_LINKS)) throw new IOException(want.getFileName() + ": output was not written");
        }
        for (var e : stages.entrySet()) {
            for (Path f : files(e.getValue().folder())) {
                Path target = e.getKey().resolve(f.getFileName());
                try {
                    Files.move(f, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException x) {
                    throw new IOException(target + ": " + Errors.message(x));
                }
            }
        }
        committed = true;
        close();
    }

    /** Deletes the staging folders and whatever is still in them. */
    @Override
    public void close() throws IOException {
        IOException first = null;
        for (Stage s : stages.values()) {
            try {
                s.lock().close();
                deleteTree(s.folder());
            } catch (IOException e) {
                if (first == null) first = e;
            }
        }
        stages.clear();
        if (first != null && !committed) throw first;
    }

    private static List<Path> files(Path folder) throws IOException {
        List<Path> l = new ArrayList<>();
        try (DirectoryStream<Path> d = Files.newDirectoryStream(folder)) {
            for (Path p : d) if (!p.getFileName().toString().equals(LOCK)) l.add(p);
        }
        return l;
    }

    /** Deletes a folder and everything in it (nothing if it is gone). */
    static void deleteTree(Path folder) throws IOException {
        if (!Files.exists(folder, LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> all = Files.walk(folder)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Staging folders in {@code parent} whose run is gone (their lock file is not held). Best effort. */
    private static void removeAbandoned(Path parent) {
        try (DirectoryStream<Path> d = Files.newDirectoryStream(parent, p -> p.getFileName().toString().startsWith(PREFIX))) {
            for (Path folder : d) {
                if (!Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) continue;
                try (FileChannel probe = FileChannel.open(folder.resolve(LOCK), StandardOpenOption.WRITE)) {
                    FileLock held = probe.tryLock();
                    if (held != null) deleteTree(folder);
                } catch (IOException | OverlappingFileLockException e) {
                    // a living run's folder, or not ours to touch
                }
            }
        } catch (IOException e) {
            // the folder cannot be listed; writing the outputs will report what matters
        }
    }
}

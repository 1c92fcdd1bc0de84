package org.ternary4j.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** A full file system for "disk full" cases: a tiny tmpfs filled up (needs root and mount; null where unavailable). */
final class TinyDisk {
    private TinyDisk() {}

    static Path mount(Path at) throws IOException, InterruptedException {
        Files.createDirectories(at);
        if (!run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", at.toString())) return null;
        try (OutputStream filler = Files.newOutputStream(at.resolve("filler"))) {
            byte[] block = new byte[4096];
            while (true) filler.write(block);
        } catch (IOException full) {
            // every block is taken now
        }
        return at;
    }

    static void unmount(Path at) throws IOException, InterruptedException {
        if (at != null) run("umount", at.toString());
    }

    private static boolean run(String... command) throws IOException, InterruptedException {
        try {
            return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor() == 0;
        } catch (IOException e) {
            return false;   // no such program
        }
    }
}

package org.ternary4j.formats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Leftover temporary files of killed runs, and the ones of living runs, as the next writer sees them. */
class AtomicOutputTest {
    @TempDir Path dir;

    private static void write(AtomicOutput out, String text) throws IOException {
        out.channel().write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
    }

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void leftoverOfADeadRunIsRemovedByTheNextWriterOfThatTarget() throws IOException {
        Files.writeString(dir.resolve(".out.bin.12345.part"), "half of a killed run");
        Files.writeString(dir.resolve(".other.bin.777.part"), "another target's leftover");
        Files.writeString(dir.resolve("out.bin"), "previous complete output");
        try (AtomicOutput out = AtomicOutput.open(dir.resolve("out.bin"))) {
            write(out, "new");
            assertFalse(Files.exists(dir.resolve(".out.bin.12345.part")));
            assertEquals("previous complete output", Files.readString(dir.resolve("out.bin")));
            out.commit();
        }
        assertEquals(List.of(".other.bin.777.part", "out.bin"), names());
        assertEquals("new", Files.readString(dir.resolve("out.bin")));
    }

    @Test
    void abandonedOutputLeavesTheTargetAndNoTemporary() throws IOException {
        Files.writeString(dir.resolve("out.bin"), "previous");
        try (AtomicOutput out = AtomicOutput.open(dir.resolve("out.bin"))) {
            write(out, "never committed");
        }
        assertEquals(List.of("out.bin"), names());
        assertEquals("previous", Files.readString(dir.resolve("out.bin")));
    }

    /** Two writers of one target in this JVM: the second must not take the first's temporary file. */
    @Test
    void concurrentWriterInThisJvmKeepsItsTemporary() throws IOException {
        try (AtomicOutput first = AtomicOutput.open(dir.resolve("out.bin"))) {
            write(first, "first");
            try (AtomicOutput second = AtomicOutput.open(dir.resolve("out.bin"))) {
                write(second, "second");
                second.commit();
            }
            first.commit();
        }
        assertEquals(List.of("out.bin"), names());
        assertEquals("first", Files.readString(dir.resolve("out.bin")));
    }

    /** A temporary file locked by another living process is its writer's, and stays; once that process dies it goes. */
    @Test
    void temporaryOfALivingProcessStaysUntilItDies() throws IOException, InterruptedException {
        Path theirs = Files.writeString(dir.resolve(".out.bin.999.part"), "being written elsewhere");
        Path holder = Files.writeString(dir.resolve("Holder.java"), """
                import java.nio.channels.FileChannel;
                import java.nio.file.*;
                class Holder {
                    public static void main(String[] a) throws Exception {
                        FileChannel c = FileChannel.open(Path.of(a[0]), StandardOpenOption.WRITE);
                        c.lock();
                        System.out.println("locked");
                        Thread.sleep(600_000);
                    }
                }
                """);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, holder.toString(), theirs.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("locked", r.readLine());
            try (AtomicOutput out = AtomicOutput.open(dir.resolve("out.bin"))) {
                out.commit();
            }
            assertTrue(Files.exists(theirs), "a living writer's temporary file was deleted");
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
        try (AtomicOutput out = AtomicOutput.open(dir.resolve("out.bin"))) {
            out.commit();
        }
        assertFalse(Files.exists(theirs), "a dead writer's temporary file was kept");
        assertArrayEquals(new byte[0], Files.readAllBytes(dir.resolve("out.bin")));
    }
}

package org.ternary4j.formats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TempPathsTest {
    @TempDir Path dir;

    @Test
    void filesAreNewEmptyPrivateAndNamedLikeTheJdksTemporaryFiles() throws IOException {
        Files.writeString(dir.resolve("keep.txt"), "not touched");
        Set<Path> made = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            Path p = TempPaths.createFile(dir, ".out.bin.", ".part");
            assertTrue(made.add(p), "name drawn twice: " + p);
            assertEquals(dir, p.getParent());
            String name = p.getFileName().toString();
            assertTrue(name.matches("\\.out\\.bin\\.[0-9]+\\.part"), name);
            assertEquals(0, Files.size(p));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS)));
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(201, s.count());
        }
        assertEquals("not touched", Files.readString(dir.resolve("keep.txt")));
    }

    @Test
    void foldersAreNewEmptyAndPrivate() throws IOException {
        Path a = TempPaths.createDirectory(dir, ".t4j-staging."), b = TempPaths.createDirectory(dir, ".t4j-staging.");
        assertTrue(!a.equals(b) && Files.isDirectory(a) && Files.isDirectory(b));
        assertTrue(a.getFileName().toString().matches("\\.t4j-staging\\.[0-9]+"), a.toString());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(a)));
        try (Stream<Path> s = Files.list(a)) {
            assertEquals(0, s.count());
        }
    }
}

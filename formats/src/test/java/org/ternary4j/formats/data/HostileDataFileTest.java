package org.ternary4j.formats.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile data files (decompression bombs, absurd header fields): a clear IOException naming the file, never an Error. */
class HostileDataFileTest {
    @TempDir Path dir;

    private static byte[] gzipOfZeros(int n) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(new byte[n]);
        }
        return out.toByteArray();
    }

    @Test
    void gzipBombIsRefusedAtTheLimitNotByOutOfMemory() throws IOException {
        Path f = Files.write(dir.resolve("bomb.gz"), gzipOfZeros(4 << 20)); // 4 MB of zeros in ~4 KB
        IOException e = assertThrows(IOException.class, () -> FileBytes.read(f, 1 << 20));
        assertTrue(e.getMessage().startsWith(f + ": gzip stream holds more than 1048576 bytes"), e.getMessage());
        assertArrayEquals(new byte[4 << 20], FileBytes.read(f, 4 << 20), "exactly at the limit is fine");
    }

    @Test
    void plainFileOverTheLimitIsRefusedBeforeReading() throws IOException {
        Path f = Files.write(dir.resolve("big.idx"), new byte[1000]);
        IOException e = assertThrows(IOException.class, () -> FileBytes.read(f, 999));
        assertTrue(e.getMessage().equals(f + ": 1000 bytes, more than the 999-byte limit for one data file"), e.getMessage());
    }

    @Test
    void zipBombEntryInNpzIsRefused() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            z.putNextEntry(new ZipEntry("x.npy"));
            z.write(new byte[4 << 20]);
            z.closeEntry();
        }
        Path f = Files.write(dir.resolve("bomb.npz"), out.toByteArray());
        IOException e = assertThrows(IOException.class, () -> NpzReader.readAll(f, 1 << 20));
        assertTrue(e.getMessage().startsWith(f + ": entry x.npy holds more than 1048576 bytes"), e.getMessage());
    }

    /** Found by fuzzing thinking ahead of it: a dtype width that overflows an int was a NumberFormatException. */
    @Test
    void absurdDtypeWidthIsUnsupportedNotACrash() throws IOException {
        Path f = Files.write(dir.resolve("w.npy"), NpyReaderTest.npy("{'descr': '<f99999999999', 'fortran_order': False, 'shape': (1,), }", new byte[4]));
        IOException e = assertThrows(IOException.class, () -> NpyReader.read(f));
        assertTrue(e.getMessage().startsWith(f + ": unsupported dtype <f99999999999"), e.getMessage());
    }

    /** Fuzzing finding (the fuzzer's input, kept as a resource): ZipFile threw a bare EOFException (no file name) reading its end record. */
    @Test
    void zipWhoseEndRecordReadsPastTheFileNamesTheFile() throws Exception {
        Path f = Files.copy(Path.of(getClass().getResource("/hostile/zip-end-record-eof.npz").toURI()), dir.resolve("eof.npz"));
        IOException e = assertThrows(IOException.class, () -> NpzReader.read(f));
        assertTrue(e.getMessage().startsWith(f + ": not a valid .npz (zip) file"), e.getMessage());
    }
}

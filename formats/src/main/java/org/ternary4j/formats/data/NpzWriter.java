package org.ternary4j.formats.data;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.ternary4j.formats.AtomicOutput;

/** Writes an .npz as np.savez does (stored NAME.npy entries), atomically and byte-identically for the same arrays. */
public final class NpzWriter {
    /** One array of the archive. */
    public sealed interface Entry {
        String name();
    }

    public record Floats(String name, NdArray array) implements Entry {}

    public record Longs(String name, int[] shape, long[] values) implements Entry {}

    private NpzWriter() {}

    public static void write(Path file, List<Entry> entries) throws IOException {
        try (AtomicOutput out = AtomicOutput.open(file)) {
            OutputStream os = Channels.newOutputStream(out.channel());
            ZipOutputStream zip = new ZipOutputStream(os);
            for (Entry e : entries) {
                byte[] npy = switch (e) {
                    case Floats f -> NpyWriter.floatsBytes(f.array());
                    case Longs l -> NpyWriter.longsBytes(l.shape(), l.values());
                };
                ZipEntry z = new ZipEntry(e.name() + ".npy");
                CRC32 crc = new CRC32();
                crc.update(npy);
                z.setMethod(ZipEntry.STORED);
                z.setSize(npy.length);
                z.setCrc(crc.getValue());
                z.setTimeLocal(LocalDateTime.of(1980, 1, 1, 0, 0));   // a fixed time: the same arrays give the same bytes
                zip.putNextEntry(z);
                zip.write(npy);
                zip.closeEntry();
            }
            zip.finish();
            os.flush();
            out.commit();
        }
    }
}

package org.ternary4j.ptq.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.ternary4j.formats.gguf.Tq1_0;
import org.ternary4j.formats.gguf.Tq2_0;

/**
 * Reads a GGUF file back for the tests (string, u32, f32 and u64 metadata; tensor infos) and
 * decodes tensors with the reference block decoders: the project's view of what it wrote.
 */
final class GgufFile {
    record Info(long[] ne, int type, long offset) {
        long elements() {
            long n = 1;
            for (long d : ne) n *= d;
            return n;
        }
    }

    final Map<String, Object> kv = new LinkedHashMap<>();
    final Map<String, Info> tensors = new LinkedHashMap<>();
    private final ByteBuffer b;
    private final long dataStart;

    GgufFile(Path path) throws IOException {
        b = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt() != 0x46554747 || b.getInt() != 3) throw new IOException(path + ": not GGUF v3");
        long nt = b.getLong(), nkv = b.getLong();
        for (long i = 0; i < nkv; i++) {
            String k = str();
            kv.put(k, value(b.getInt()));
        }
        for (long i = 0; i < nt; i++) {
            String name = str();
            long[] ne = new long[b.getInt()];
            for (int d = 0; d < ne.length; d++) ne[d] = b.getLong();
            tensors.put(name, new Info(ne, b.getInt(), b.getLong()));
        }
        dataStart = (b.position() + 31) / 32 * 32;
    }

    private Object value(int type) throws IOException {
        return switch (type) {
            case 4, 5 -> b.getInt();
            case 6 -> b.getFloat();
            case 8 -> str();
            case 10 -> b.getLong();
            case 9 -> {
                int element = b.getInt();
                java.util.List<Object> list = new java.util.ArrayList<>();
                for (long n = b.getLong(); n > 0; n--) list.add(value(element));
                yield list;
            }
            default -> throw new IOException("value type " + type);
        };
    }

    private String str() {
        byte[] s = new byte[(int) b.getLong()];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    float[] floats(String name) {
        Info t = tensors.get(name);
        int n = (int) t.elements();
        float[] out = new float[n];
        ByteBuffer d = b.duplicate().order(ByteOrder.LITTLE_ENDIAN).position((int) (dataStart + t.offset()));
        switch (t.type()) {
            case 0 -> d.asFloatBuffer().get(out);
            case 1 -> { for (int i = 0; i < n; i++) out[i] = Float.float16ToFloat(d.getShort()); }
            case 34, 35 -> {
                int bb = t.type() == 34 ? Tq1_0.BLOCK_BYTES : Tq2_0.BLOCK_BYTES;
                byte[] raw = new byte[n / 256 * bb];
                d.get(raw);
                for (int k = 0; k < n / 256; k++) {
                    if (t.type() == 34) new Tq1_0().decode(raw, k * bb, out, k * 256);
                    else new Tq2_0().decode(raw, k * bb, out, k * 256);
                }
            }
            default -> throw new IllegalStateException("type " + t.type());
        }
        return out;
    }
}

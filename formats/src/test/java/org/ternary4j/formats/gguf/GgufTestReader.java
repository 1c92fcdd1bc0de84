package org.ternary4j.formats.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A minimal GGUF v3 reader written from the format's description, independent of the writer. */
final class GgufTestReader {
    record Info(String name, long[] ne, int type, long offset) {}

    final int version;
    final Map<String, Object> kv = new LinkedHashMap<>();
    final List<Info> tensors = new ArrayList<>();
    final long dataStart;
    final ByteBuffer file;

    GgufTestReader(Path path) throws IOException {
        file = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[4];
        file.get(magic);
        if (!new String(magic, StandardCharsets.US_ASCII).equals("GGUF")) throw new IOException("bad magic");
        version = file.getInt();
        long nTensors = file.getLong();
        long nKv = file.getLong();
        for (long i = 0; i < nKv; i++) {
            String key = str();
            kv.put(key, value(file.getInt()));
        }
        for (long i = 0; i < nTensors; i++) {
            String name = str();
            long[] ne = new long[file.getInt()];
            for (int d = 0; d < ne.length; d++) ne[d] = file.getLong();
            tensors.add(new Info(name, ne, file.getInt(), file.getLong()));
        }
        long align = kv.containsKey("general.alignment") ? ((Number) kv.get("general.alignment")).longValue() : 32;
        dataStart = (file.position() + align - 1) / align * align;
    }

    private String str() {
        byte[] b = new byte[(int) file.getLong()];
        file.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private Object value(int type) {
        return switch (type) {
            case 4, 5 -> file.getInt();
            case 6 -> file.getFloat();
            case 7 -> file.get() != 0;
            case 8 -> str();
            case 10 -> file.getLong();
            case 9 -> {
                int elem = file.getInt();
                List<Object> list = new ArrayList<>();
                for (long n = file.getLong(); n > 0; n--) list.add(value(elem));
                yield list;
            }
            default -> throw new IllegalStateException("value type " + type);
        };
    }

    Info tensor(String name) {
        return tensors.stream().filter(t -> t.name.equals(name)).findFirst().orElseThrow();
    }

    byte[] bytes(Info t, int length) {
        byte[] b = new byte[length];
        file.get(Math.toIntExact(dataStart + t.offset), b);
        return b;
    }

    /** The values of an F32, F16, TQ1_0 or TQ2_0 tensor, decoded with the reference decoders. */
    float[] floats(Info t) {
        long n = 1;
        for (long d : t.ne) n *= d;
        float[] out = new float[(int) n];
        ByteBuffer b = file.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(Math.toIntExact(dataStart + t.offset));
        switch (t.type) {
            case 0 -> b.asFloatBuffer().get(out);
            case 1 -> { for (int i = 0; i < n; i++) out[i] = Float.float16ToFloat(b.getShort()); }
            case 34, 35 -> {
                TernaryBlocks f = t.type == 34 ? new Tq1_0() : new Tq2_0();
                int bb = f.type().blockBytes;
                byte[] raw = bytes(t, (int) (n / 256 * bb));
                for (int k = 0; k < n / 256; k++) f.decode(raw, k * bb, out, k * 256);
            }
            default -> throw new IllegalStateException("type " + t.type);
        }
        return out;
    }
}

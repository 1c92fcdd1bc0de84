package org.ternary4j.formats.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy's .npy format (versions 1–3): magic, a Python-literal header with descr, fortran_order
 * and shape, then the raw values. Only C order is accepted; element types float16/32/64,
 * int8/16/32/64 and uint8 (any byte order).
 */
public final class NpyReader {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=])([a-zA-Z])(\\d+)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private NpyReader() {}

    /** A parsed file: shape, element type, and the values as a buffer in the file's byte order. */
    record Npy(String source, int[] shape, char kind, int size, ByteBuffer values) {
        int count() {
            return values.remaining() / size;
        }

        double get(int i) {
            int p = values.position() + i * size;
            return switch (kind) {
                case 'f' -> switch (size) {
                    case 2 -> Float.float16ToFloat(values.getShort(p));
                    case 4 -> values.getFloat(p);
                    default -> values.getDouble(p);
                };
                case 'u' -> values.get(p) & 0xff;
                default -> switch (size) {
                    case 1 -> values.get(p);
                    case 2 -> values.getShort(p);
                    case 4 -> values.getInt(p);
                    default -> values.getLong(p);
                };
            };
        }

        long getLong(int i) {
            return kind == 'i' && size == 8 ? values.getLong(values.position() + i * size) : (long) get(i);
        }

        /**
         * The values as floats. Integers are exact below 2^24 in magnitude; one a float cannot hold
         * (a token id or index would silently become a neighbouring one) is refused.
         */
        NdArray toFloats() throws IOException {
            float[] out = new float[count()];
            boolean wideInts = kind != 'f' && size >= 4;
            for (int i = 0; i < out.length; i++) {
                if (wideInts) {
                    long v = getLong(i);
                    out[i] = v;
                    if ((long) out[i] != v) {
                        throw new IOException(source + ": integer " + v + " at index " + i + " cannot be held exactly (data values are floats: "
                                + "integers up to 2^24 = 16777216 in magnitude)");
                    }
                } else {
                    out[i] = (float) get(i);
                }
            }
            return new NdArray(shape, out);
        }

        /** Class labels: a vector (or [N, 1]) of non-negative whole numbers. */
        int[] toLabels() throws IOException {
            boolean column = shape.length == 2 && shape[1] == 1;
            if (shape.length != 1 && !column) {
                throw new IOException(source + ": labels must be a vector, got shape " + Arrays.toString(shape));
            }
            int[] out = new int[count()];
            for (int i = 0; i < out.length; i++) {
                double v = kind == 'f' ? get(i) : getLong(i);
                if (kind == 'f' && v != Math.rint(v) || v < 0 || v > Integer.MAX_VALUE) {
                    throw new IOException(source + ": label " + v + " at index " + i + " is not a class index (whole number ≥ 0)");
                }
                out[i] = (int) v;
            }
            return out;
        }
    }

    public static NdArray read(Path file) throws IOException {
        return parse(FileBytes.read(file), file.toString()).toFloats();
    }

    public static int[] readLabels(Path file) throws IOException {
        return parse(FileBytes.read(file), file.toString()).toLabels();
    }

    static Npy parse(byte[] b, String source) throws IOException {
        if (b.length < 10 || !Arrays.equals(Arrays.copyOf(b, 6), MAGIC)) throw new IOException(source + ": not a .npy file (bad magic)");
        int major = b[6] & 0xff;
        ByteBuffer le = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen;
        int start;
        switch (major) {
            case 1 -> { headerLen = le.getShort(8) & 0xffff; start = 10; }
            case 2, 3 -> {
                if (b.length < 12) throw new IOException(source + ": truncated .npy header");
                headerLen = le.getInt(8) & 0xffffffffL;
                start = 12;
            }
            default -> throw new IOException(source + ": unsupported .npy version " + major);
        }
        if (start + headerLen > b.length) throw new IOException(source + ": truncated .npy header");
        String header = new String(b, start, (int) headerLen, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header), f = FORTRAN.matcher(header), s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find()) throw new IOException(source + ": malformed .npy header " + header.strip());
        if (f.group(1).equals("True")) throw new IOException(source + ": Fortran-order arrays are not supported; save with C order");
        char kind = d.group(2).charAt(0);
        int size = d.group(3).length() > 2 ? -1 : Integer.parseInt(d.group(3)); // '<f99999999999' is unsupported, not a crash
        boolean ok = switch (kind) {
            case 'f' -> size == 2 || size == 4 || size == 8;
            case 'i' -> size == 1 || size == 2 || size == 4 || size == 8;
            case 'u' -> size == 1;
            default -> false;
        };
        if (!ok) throw new IOException(source + ": unsupported dtype " + d.group(1) + kind + d.group(3) + " (float16/32/64, int8/16/32/64, uint8)");
        ByteOrder order = d.group(1).equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        int[] shape = parseShape(s.group(1), source);
        long n;
        try {
            n = NdArray.elementCount(shape, source);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IOException(source + ": shape " + Arrays.toString(shape) + " holds more values than an array can");
        }
        long dataStart = start + headerLen, need = n * size, have = b.length - dataStart;
        if (have < need) throw new IOException(source + ": truncated: shape " + Arrays.toString(shape) + " needs " + need + " data bytes, file has " + have);
        if (have > need) throw new IOException(source + ": " + (have - need) + " unexpected bytes after the data");
        ByteBuffer values = ByteBuffer.wrap(b, (int) dataStart, (int) need).slice().order(order);
        return new Npy(source, shape, kind, size, values);
    }

    private static int[] parseShape(String text, String source) throws IOException {
        List<Integer> dims = new ArrayList<>();
        for (String part : text.split(",")) {
            String p = part.strip();
            if (p.isEmpty()) continue;
            if (p.endsWith("L")) p = p.substring(0, p.length() - 1); // Python 2 longs
            try {
                long v = Long.parseLong(p);
                if (v < 0 || v > Integer.MAX_VALUE) throw new IOException(source + ": dimension " + v + " out of range");
                dims.add((int) v);
            } catch (NumberFormatException e) {
                throw new IOException(source + ": malformed shape (" + text + ")");
            }
        }
        return dims.stream().mapToInt(Integer::intValue).toArray();
    }
}

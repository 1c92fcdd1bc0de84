package org.ternary4j.formats.onnx;

import java.io.IOException;

/**
 * Errors about a model are one line even when the model's own names hold line breaks or other
 * control characters (a hostile or corrupt file can put anything in a name): those characters
 * are shown escaped, as {@code \n} or {@code \u0007}.
 */
public final class OneLine {
    private OneLine() {}

    public static String of(String message) {
        if (message == null) return "unknown error";
        StringBuilder b = new StringBuilder(message.length());
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            if (c == '\n') b.append("\\n");
            else if (c == '\r') b.append("\\r");
            else if (Character.isISOControl(c)) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }

    /** The same exception with its message on one line (itself when it already is). */
    public static IOException of(IOException e) {
        String m = of(e.getMessage());
        return m.equals(e.getMessage()) ? e : new IOException(m, e);
    }
}

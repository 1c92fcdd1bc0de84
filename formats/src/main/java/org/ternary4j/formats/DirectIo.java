package org.ternary4j.formats;

import java.nio.file.OpenOption;
import java.util.Optional;

/**
 * The JDK's open option for direct I/O ({@code com.sun.nio.file.ExtendedOpenOption.DIRECT}, in
 * the jdk.unsupported module), looked up by name: a JDK without it leaves writers on the page
 * cache instead of failing, and the class needs no compile-time reference to an unsupported API.
 */
final class DirectIo {
    private DirectIo() {}

    static final Optional<OpenOption> OPTION = lookUp();

    private static Optional<OpenOption> lookUp() {
        try {
            Class<?> options = Class.forName("com.sun.nio.file.ExtendedOpenOption");
            for (Object o : options.getEnumConstants()) if (o instanceof OpenOption option && option.toString().equals("DIRECT")) return Optional.of(option);
        } catch (ClassNotFoundException | LinkageError e) {
            // no such module in this runtime: page-cache writes only
        }
        return Optional.empty();
    }
}

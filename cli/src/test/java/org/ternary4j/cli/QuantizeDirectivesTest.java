package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The launcher hands quantize's JVM a compiler directives file; one the JVM cannot parse would stop every quantize at start-up. */
class QuantizeDirectivesTest {

    @Test
    void theJvmAcceptsTheLaunchersDirectives() throws Exception {
        Path file = Path.of("..", "scripts", "quantize.directives.json").toAbsolutePath().normalize();
        assertTrue(Files.isRegularFile(file), file + " missing");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-XX:+UnlockDiagnosticVMOptions", "-XX:CompilerDirectivesFile=" + file, "-version").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("compiler directives added"), out);
    }
}

package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ClassFileUpgradeTest {

    /** picocli's own jar: Java 5 class files, the case the launcher upgrades. */
    private static Path picocliJar() throws Exception {
        return Path.of(CommandLine.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static Map<String, byte[]> entries(Path jar) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(jar))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null;) out.put(e.getName(), in.readAllBytes());
        }
        return out;
    }

    @Test
    void rewritesOnlyTheOldClassesAndKeepsEveryEntry(@TempDir Path dir) throws Exception {
        Path in = picocliJar(), out = dir.resolve("picocli.jar");
        Map<String, byte[]> before = entries(in);
        long old = before.entrySet().stream().filter(e -> isClass(e.getKey()) && ClassFile.of().parse(e.getValue()).majorVersion() < ClassFileUpgrade.CACHEABLE).count();
        assertTrue(old > 100, "picocli should still ship Java 5 class files, found " + old);

        assertEquals(old, ClassFileUpgrade.upgrade(in, out));
        Map<String, byte[]> after = entries(out);
        assertEquals(before.keySet(), after.keySet());
        for (var e : after.entrySet()) {
            if (!isClass(e.getKey())) assertArrayEquals(before.get(e.getKey()), e.getValue(), e.getKey());
            else assertEquals(ClassFile.JAVA_8_VERSION, ClassFile.of().parse(e.getValue()).majorVersion(), e.getKey());
        }
    }

    /** The rewritten classes pass the JVM's stack-map verifier and still parse a command line. */
    @Test
    void upgradedClassesVerifyAndParse(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("picocli.jar");
        ClassFileUpgrade.upgrade(picocliJar(), out);
        try (URLClassLoader loader = new URLClassLoader(new URL[] {out.toUri().toURL()}, ClassLoader.getPlatformClassLoader())) {
            Class<?> cli = Class.forName("picocli.CommandLine", true, loader);
            assertEquals(loader, cli.getClassLoader());
            Class<?> specType = Class.forName("picocli.CommandLine$Model$CommandSpec", true, loader);
            Class<?> optionType = Class.forName("picocli.CommandLine$Model$OptionSpec", true, loader);
            Object builder = optionType.getMethod("builder", String[].class).invoke(null, (Object) new String[] {"--count"});
            Method type = builder.getClass().getMethod("type", Class.class);
            type.setAccessible(true); // declared by a non-public superclass
            type.invoke(builder, int.class);
            Object spec = specType.getMethod("create").invoke(null);
            specType.getMethod("addOption", optionType).invoke(spec, builder.getClass().getMethod("build").invoke(builder));
            Object parsed = cli.getMethod("parseArgs", String[].class).invoke(cli.getConstructor(Object.class).newInstance(spec), (Object) new String[] {"--count", "7"});
            assertEquals(7, parsed.getClass().getMethod("matchedOptionValue", String.class, Object.class).invoke(parsed, "--count", 0));
        }
    }

    @Test
    void aFileThatIsNoJarIsRefusedByName(@TempDir Path dir) throws IOException {
        Path bad = Files.writeString(dir.resolve("bad.jar"), "not a jar");
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> ClassFileUpgrade.upgrade(bad, dir.resolve("out.jar")));
        assertEquals(bad + ": not a jar (no entries)", e.getMessage());
    }

    private static boolean isClass(String name) {
        return name.endsWith(".class") && !name.startsWith("META-INF/");
    }
}

package org.ternary4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Rewrites the classes of a jar compiled for Java 5 or older as Java 8 class files, with the stack
 * maps those need, and leaves everything else in it as it was. The launcher runs it once per build
 * on picocli (Java 5 class files): the JVM's ahead-of-time cache skips classes that need the old
 * type-inferring verifier, so every start parsed and verified picocli's 175 classes anew; the
 * rewritten ones come from the cache. {@code java … ClassFileUpgrade IN.jar OUT.jar}.
 */
final class ClassFileUpgrade {
    /** The oldest class-file version the cache takes (Java 6, the first with stack maps). */
    static final int CACHEABLE = ClassFile.JAVA_6_VERSION;
    private static final int TARGET = ClassFile.JAVA_8_VERSION;

    private ClassFileUpgrade() {}

    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: ClassFileUpgrade IN.jar OUT.jar");
            System.exit(2);
        }
        try {
            int n = upgrade(Path.of(args[0]), Path.of(args[1]));
            System.out.println(args[0] + ": " + n + " classes rewritten as Java 8 class files");
        } catch (IOException e) {
            System.err.println("ternary4j: " + (e instanceof java.nio.file.NoSuchFileException ? e.getMessage() + ": no such file" : e.getMessage()));
            System.exit(1);
        }
    }

    /** Writes {@code out}, a copy of {@code in} with its old classes rewritten; returns how many were. */
    static int upgrade(Path in, Path out) throws IOException {
        int upgraded = 0, entries = 0;
        // Stack maps name the common supertypes of merged values: they are looked up in the jar itself, then the JDK.
        try (URLClassLoader jar = new URLClassLoader(new URL[] {in.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
             ZipInputStream zin = new ZipInputStream(Files.newInputStream(in));
             ZipOutputStream zout = new ZipOutputStream(Files.newOutputStream(out))) {
            ClassFile cf = ClassFile.of(ClassFile.StackMapsOption.GENERATE_STACK_MAPS, ClassFile.ClassHierarchyResolverOption.of(
                    ClassHierarchyResolver.defaultResolver().orElse(ClassHierarchyResolver.ofResourceParsing(jar))));
            for (ZipEntry e; (e = zin.getNextEntry()) != null;) {
                byte[] bytes = zin.readAllBytes();
                entries++;
                // META-INF/versions/… holds module-info only; it is not read from the class path.
                if (!e.isDirectory() && e.getName().endsWith(".class") && !e.getName().startsWith("META-INF/")) {
                    ClassModel cm = cf.parse(bytes);
                    if (cm.majorVersion() < CACHEABLE) {
                        bytes = upgrade(cf, cm);
                        upgraded++;
                    }
                }
                ZipEntry copy = new ZipEntry(e.getName());
                copy.setTime(e.getTime());
                zout.putNextEntry(copy);
                zout.write(bytes);
                zout.closeEntry();
            }
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new IOException(in + ": " + e.getMessage(), e);
        }
        if (entries == 0) throw new IOException(in + ": not a jar (no entries)");
        return upgraded;
    }

    /** The class as a Java 8 class file: every method body is written anew, which adds its stack maps. */
    private static byte[] upgrade(ClassFile cf, ClassModel cm) {
        return cf.transformClass(cm, ClassTransform.dropping(el -> el instanceof ClassFileVersion)
                .andThen(ClassTransform.endHandler(cb -> cb.with(ClassFileVersion.of(TARGET, 0))))
                .andThen(ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)));
    }
}

package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.SafetensorsWriter;
import org.ternary4j.formats.safetensors.TensorSpec;

/**
 * SIGKILLs a child JVM running {@code quantize} while it writes, then checks that every output is
 * absent or a complete earlier file (never partial), that the input is byte-identical, and that
 * the next run removes the killed run's leftover {@code .NAME.*.part} files and writes the same
 * bytes as an unkilled run. A few trials by default; on demand:
 * {@code mvn -pl cli -am test -Dtest=KillDuringWriteTest -Dkill.trials=20 -Dkill.mb=128 -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class KillDuringWriteTest {
    private static final int TRIALS = Integer.getInteger("kill.trials", 3);
    private static final int MEGABYTES = Integer.getInteger("kill.mb", 24);

    @TempDir Path dir;

    private record Outputs(byte[] out, byte[] packed, byte[] report) {
        static Outputs read(Path d) throws IOException {
            return new Outputs(bytesOrNull(d.resolve("out.safetensors")), bytesOrNull(d.resolve("packed.safetensors")), bytesOrNull(d.resolve("report.json")));
        }

        byte[] get(int i) {
            return i == 0 ? out : i == 1 ? packed : report;
        }
    }

    private static final String[] NAMES = {"out.safetensors", "packed.safetensors", "report.json"};

    @Test
    void killedQuantizeLeavesNoPartialOutputAndAnUnchangedInput() throws Exception {
        Path in = input(dir.resolve("in.safetensors"), MEGABYTES);
        String inputHash = sha256(Files.readAllBytes(in));

        // The complete outputs of an unkilled child run, and a different complete "previous" output.
        Path refDir = Files.createDirectory(dir.resolve("ref"));
        long[] window = new long[1];
        Process ref = start(in, refDir, "tnt");
        long writeStart = awaitPart(ref, refDir);
        assertEquals(0, ref.waitFor(), "reference run failed");
        window[0] = Math.max(1, (System.nanoTime() - writeStart) / 1_000_000);
        Outputs fresh = Outputs.read(refDir);
        Path prevDir = Files.createDirectory(dir.resolve("prev"));
        assertEquals(0, CliRun.of(args(in, prevDir, "twn")).exitCode());
        Outputs previous = Outputs.read(prevDir);

        SplittableRandom rnd = new SplittableRandom(7);
        int midWrite = 0, leftovers = 0;
        for (int trial = 0; trial < TRIALS; trial++) {
            Path work = Files.createDirectory(dir.resolve("trial" + trial));
            boolean hadPrevious = trial % 2 == 1;
            if (hadPrevious) for (String n : NAMES) Files.copy(prevDir.resolve(n), work.resolve(n));
            Process p = start(in, work, "tnt");
            long started = awaitPart(p, work);
            Thread.sleep(rnd.nextLong(Math.max(1, window[0] * 9 / 10)));
            boolean wasWriting = p.isAlive() && !parts(work).isEmpty();
            p.toHandle().destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no finally blocks
            p.waitFor();
            if (wasWriting && started > 0) midWrite++;
            leftovers += parts(work).size();

            Outputs after = Outputs.read(work);
            for (int i = 0; i < 3; i++) {
                byte[] b = after.get(i);
                boolean ok = b == null ? !hadPrevious
                        : java.util.Arrays.equals(b, fresh.get(i)) || (hadPrevious && java.util.Arrays.equals(b, previous.get(i)));
                assertTrue(ok, "trial " + trial + ": " + NAMES[i] + " is partial or foreign (" + (b == null ? "absent" : b.length + " bytes") + ")");
            }
            assertEquals(inputHash, sha256(Files.readAllBytes(in)), "trial " + trial + ": the input changed");

            // The next run cleans up after the killed one and writes exactly what an unkilled run writes.
            CliRun again = CliRun.of(args(in, work, "tnt"));
            assertEquals(0, again.exitCode(), again.err());
            assertEquals(List.of(), parts(work), "trial " + trial + ": leftover temporary files were not removed");
            Outputs done = Outputs.read(work);
            for (int i = 0; i < 3; i++) assertArrayEquals(fresh.get(i), done.get(i), "trial " + trial + ": " + NAMES[i] + " differs from an unkilled run");
        }
        System.out.printf(Locale.ROOT, "kill-during-write: %d trials, %d MB input, %d killed mid-write, %d leftover .part files (all removed by the next run), 0 partial outputs%n",
                TRIALS, MEGABYTES, midWrite, leftovers);
        assertTrue(midWrite > 0, "no kill landed while the outputs were being written; the test proves nothing");
    }

    private static String[] args(Path in, Path outDir, String method) {
        return new String[] {"quantize", in.toString(), "-o", outDir.resolve(NAMES[0]).toString(), "--packed", outDir.resolve(NAMES[1]).toString(),
                "--report", outDir.resolve(NAMES[2]).toString(), "--method", method, "--grouping", "row", "--threads", "2"};
    }

    private static Process start(Path in, Path outDir, String method) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args(in, outDir, method)));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    /** Waits until the child has created its first temporary output; the time it did, or 0 when it ended first. */
    private static long awaitPart(Process p, Path work) throws IOException, InterruptedException {
        while (p.isAlive()) {
            if (!parts(work).isEmpty()) return System.nanoTime();
            Thread.sleep(2);
        }
        return 0;
    }

    private static List<String> parts(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".") && n.endsWith(".part")).sorted().toList();
        }
    }

    private static byte[] bytesOrNull(Path p) throws IOException {
        return Files.exists(p) ? Files.readAllBytes(p) : null;
    }

    private static String sha256(byte[] b) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** F32 matrices of 512 x 1024 (2 MB each) until the size is reached. */
    private static Path input(Path file, int megabytes) throws IOException {
        int rows = 512, cols = 1024, count = Math.max(1, megabytes / 2);
        List<TensorSpec> specs = new ArrayList<>();
        for (int i = 0; i < count; i++) specs.add(TensorSpec.of("layer" + i + ".weight", DType.F32, rows, cols));
        try (SafetensorsWriter w = SafetensorsWriter.open(file, specs, java.util.Map.of())) {
            for (int i = 0; i < count; i++) w.writeFloats("layer" + i + ".weight", TestModels.gaussian(rows * cols, DType.F32, i));
            w.commit();
        }
        return file;
    }
}

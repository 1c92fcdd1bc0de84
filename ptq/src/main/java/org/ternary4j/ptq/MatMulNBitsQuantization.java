package org.ternary4j.ptq;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.ternary4j.formats.AtomicOutput;
import org.ternary4j.formats.onnx.MatMulNBitsExport;
import org.ternary4j.ptq.OnnxQuantization.Outcome;
import org.ternary4j.ptq.OnnxQuantization.Request;

/**
 * {@link OnnxQuantization} with ternarized MatMul/Gemm weights stored packed as ONNX Runtime's
 * {@code com.microsoft.MatMulNBits} ({@code bits=2}, zero point 1, codes t+1). The ternarized model
 * is first written dequantized into a private folder beside the output (with the packed file and
 * the report), then rewritten by {@link MatMulNBitsExport}; only when that succeeded do the outputs
 * move into place, so a refused weight leaves nothing behind. Evaluation, when asked for, runs the
 * packed model itself.
 */
public final class MatMulNBitsQuantization {

    /** The quantization's outcome, what the rewrite packed, and the input and output sizes in bytes. */
    public record Result(Outcome outcome, MatMulNBitsExport.Result nbits, long inputBytes, long outputBytes) {

        public void print(PrintWriter out) {
            Map<Integer, Integer> bySize = new TreeMap<>();
            nbits.blockSizes().values().forEach(b -> bySize.merge(b, 1, Integer::sum));
            StringBuilder sizes = new StringBuilder();
            bySize.forEach((b, n) -> sizes.append(sizes.isEmpty() ? "" : ", ").append(n).append(" with block ").append(b));
            int count = nbits.blockSizes().size();
            out.printf(Locale.ROOT, "MatMulNBits: %d weight%s packed as 2-bit codes (%s); %,d → %,d bytes (%.1f %% of the input)%n",
                    count, count == 1 ? "" : "s", sizes.isEmpty() ? "none" : sizes, inputBytes, outputBytes, 100.0 * outputBytes / Math.max(1, inputBytes));
            nbits.notes().forEach(n -> out.println("note  " + n));
            out.flush();
        }
    }

    private MatMulNBitsQuantization() {}

    public static Result run(Request request) throws IOException {
        Path out = request.output().toAbsolutePath();
        Path dir = Files.createTempDirectory(out.getParent(), "." + out.getFileName() + ".nbits-");
        try {
            Path dq = dir.resolve("dequantized.onnx");
            Path packed = request.packed() == null ? null : dir.resolve("packed.safetensors");
            Path report = request.report() == null ? null : dir.resolve("report.json");
            Outcome o = OnnxQuantization.run(request.withOutputs(dq, packed, report));
            MatMulNBitsExport.Result nbits = MatMulNBitsExport.write(dq, o.result().tensors(), request.output(), request.input());
            if (packed != null) moveInto(packed, request.packed(), request.input());
            if (request.evalData() != null) {
                TaskAccuracy a = TaskAccuracy.measure(request.input(), request.output(), request.evalData(), request.options().threads());
                o = new Outcome(o.result(), o.report().withAccuracy(a), o.calibration(), o.calibrationSource());
                if (report != null) {
                    byte[] json = o.report().toJson();
                    if (o.calibration() != null) json = CalibrationJson.addTo(json, o.calibrationSource(), request.calibration().steps().spec(), o.calibration());
                    JsonFiles.write(request.report(), json, request.input());
                }
            } else if (report != null) {
                moveInto(report, request.report(), request.input());
            }
            return new Result(o, nbits, Files.size(request.input()), Files.size(request.output()));
        } finally {
            try (Stream<Path> left = Files.walk(dir)) {
                for (Path p : left.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    /** Copies a finished file to its target through {@link AtomicOutput} (the target may be on another file system). */
    private static void moveInto(Path from, Path target, Path input) throws IOException {
        try (AtomicOutput o = AtomicOutput.open(target, input); FileChannel in = FileChannel.open(from, StandardOpenOption.READ)) {
            long size = in.size();
            for (long at = 0; at < size; ) at += in.transferTo(at, size - at, o.channel());
            o.commit();
        }
    }
}

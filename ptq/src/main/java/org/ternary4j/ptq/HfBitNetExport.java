package org.ternary4j.ptq;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.ternary4j.core.Ternarizer;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.metrics.TensorMetrics;
import org.ternary4j.core.metrics.TensorReport;
import org.ternary4j.core.pack.Packing;
import org.ternary4j.core.projection.Projection;
import org.ternary4j.formats.safetensors.DType;
import org.ternary4j.formats.safetensors.HalfFloats;
import org.ternary4j.formats.safetensors.SafetensorsCheckpoint;
import org.ternary4j.formats.safetensors.SafetensorsWriter;
import org.ternary4j.formats.safetensors.TensorInfo;
import org.ternary4j.formats.safetensors.TensorSpec;

/**
 * Writes a checkpoint folder that Hugging Face transformers loads as a pre-quantized BitNet model
 * ({@code quantization_config.quant_method = "bitnet"}, linear_class {@code bitlinear}, offline):
 * each ternarized Linear weight [out, in] becomes uint8 [out/4, in] and a {@code weight_scale}.
 *
 * <p>The layout follows transformers' {@code integrations/bitnet.py} ({@code pack_weights},
 * {@code unpack_weights}, {@code BitLinear}): with P = out/4 packed rows, bits 2i..2i+1 of byte
 * [r, c] hold t + 1 of output row i·P + r. BitLinear divides its output by {@code weight_scale},
 * so the file stores 1/γ for the tensor's scale γ, in the checkpoint's float type; the report's
 * metrics are for the weights transformers will compute with (t / stored weight_scale). One scale
 * per tensor and symmetric codes only (BitNet's absmean per tensor); Linear weights left in full
 * precision are listed in {@code modules_to_not_convert}.
 */
public final class HfBitNetExport {

    /** Input checkpoint (file, index or folder), output folder, the projection, which tensors, threads. */
    public record Request(Path input, Path output, Projection method, Selection selection, int threads) {
        public Request {
            Objects.requireNonNull(input, "input");
            Objects.requireNonNull(output, "output");
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(selection, "selection");
            if (threads < 1) throw new IllegalArgumentException("threads must be ≥ 1, got " + threads);
        }
    }

    private record Planned(SafetensorsCheckpoint.Entry entry, String keptWhy) {}

    private HfBitNetExport() {}

    public static SafetensorsQuantization.Outcome run(Request request) throws IOException {
        if (!CheckpointOutput.isFolder(request.output(), true)) {
            throw new IllegalArgumentException(request.output() + ": a Hugging Face BitNet checkpoint is a folder (weights and config.json)");
        }
        try (SafetensorsCheckpoint in = SafetensorsCheckpoint.open(request.input(), org.ternary4j.formats.safetensors.ReadLimits.DEFAULT)) {
            Path config = in.folder().resolve("config.json");
            if (!Files.isRegularFile(config)) throw new IOException(in.file() + ": no config.json beside it; transformers reads quantization_config from there");
            List<Planned> plan = new ArrayList<>();
            Map<String, List<TensorSpec>> outputs = new LinkedHashMap<>();
            List<String> notConverted = new ArrayList<>();
            java.util.Set<String> names = new java.util.HashSet<>();
            for (SafetensorsCheckpoint.Entry e : in.tensors()) names.add(e.info().name());
            for (SafetensorsCheckpoint.Entry e : in.tensors()) {
                TensorInfo t = e.info();
                String why = t.dtype().isFloat() ? request.selection().keptWhy(t.name(), t.spec().rank(), false) : "not a float tensor";
                if (why == null && (t.spec().rank() != 2 || !t.name().endsWith(".weight"))) why = "not a Linear weight";
                if (why == null && t.spec().shape()[0] % 4 != 0) why = "rows not a multiple of 4 (BitLinear packs 4 rows a byte)";
                if (why == null && names.contains(t.name() + "_scale")) throw new IOException(e.reader().file() + ": tensor '" + t.name() + "_scale' already exists");
                if (why != null && t.spec().rank() == 2 && t.name().endsWith(".weight")) notConverted.add(t.name().substring(0, t.name().length() - 7));
                plan.add(new Planned(e, why));
                outputs.put(t.name(), why != null ? List.of(t.spec()) : List.of(
                        new TensorSpec(t.name(), DType.U8, new long[] {t.spec().shape()[0] / 4, t.spec().shape()[1]}),
                        new TensorSpec(t.name() + "_scale", t.dtype(), new long[] {1})));
            }
            byte[] cfg = config(config, notConverted);
            Ternarizer ternarizer = new Ternarizer(request.method(), new Grouping.WholeTensor(), request.threads());
            List<TensorReport> reports = new ArrayList<>();
            List<SafetensorsQuantization.Kept> kept = new ArrayList<>();
            try (CheckpointOutput out = CheckpointOutput.open(new CheckpointOutput.Target(request.output(), true), in, outputs, Map.of("config.json", cfg))) {
                for (Planned p : plan) {
                    TensorInfo t = p.entry().info();
                    SafetensorsWriter w = out.writer(t.name());
                    if (p.keptWhy() != null) {
                        if (t.dtype().isFloat()) kept.add(new SafetensorsQuantization.Kept(t.name(), p.keptWhy()));
                        w.copyTensor(t.name(), p.entry().reader(), t);
                        continue;
                    }
                    reports.add(write(p.entry(), ternarizer, w, request.method()));
                }
                out.commit();
                int copied = plan.size() - reports.size();
                QuantizeReport report = new QuantizeReport(request.input().toString(), request.method().spec(), "tensor", "bitnet-2bit", reports, copied);
                return new SafetensorsQuantization.Outcome(report, kept, out.files());
            }
        }
    }

    private static TensorReport write(SafetensorsCheckpoint.Entry e, Ternarizer ternarizer, SafetensorsWriter w, Projection method) throws IOException {
        TensorInfo t = e.info();
        String where = e.reader().file() + ": tensor '" + t.name() + "': ";
        int[] shape = t.spec().intShape();
        float[] values = e.reader().readFloats(t);
        TernaryTensor tt;
        try {
            tt = ternarizer.apply(shape, values);
        } catch (IllegalArgumentException ex) {
            throw new IOException(where + ex.getMessage());
        }
        if (tt.twoScales()) throw new IllegalArgumentException(where + "method '" + method.spec() + "' gives +1 and −1 different scales; BitNet stores one");
        float gamma = tt.scalePos()[0];
        float stored = HalfFloats.roundTo(t.dtype(), 1f / gamma);
        if (!(stored > 0) || Float.isInfinite(stored)) throw new IllegalArgumentException(where + "scale " + gamma + " has no finite inverse in " + t.dtype());
        w.writeBytes(t.name(), pack(tt.codes(), shape[0], shape[1]));
        w.writeFloats(t.name() + "_scale", new float[] {stored});
        float[] effective = new float[values.length];
        for (int i = 0; i < values.length; i++) effective[i] = tt.codes()[i] / stored;
        TensorMetrics m = TensorMetrics.of(values, effective, tt.sparsity(), tt.bitsPerWeight(Packing.TWO_BIT));
        return TensorReport.of(t.name(), shape, method.spec(), "tensor", m);
    }

    /** transformers' pack_weights: bits 2i..2i+1 of packed [r, c] hold t + 1 of row i·(rows/4) + r. */
    static byte[] pack(byte[] codes, int rows, int cols) {
        int p = rows / 4;
        byte[] out = new byte[p * cols];
        for (int row = 0; row < rows; row++) {
            int i = row / p, r = row % p;
            for (int c = 0; c < cols; c++) out[r * cols + c] |= (byte) ((codes[row * cols + c] + 1) << (2 * i));
        }
        return out;
    }

    /** The input's config.json with quantization_config set for transformers' BitNet loader. */
    private static byte[] config(Path file, List<String> notConverted) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root;
        try {
            if (!(json.readTree(file.toFile()) instanceof ObjectNode o)) throw new IOException(file + ": not a JSON object");
            root = o;
        } catch (IOException ex) {
            throw new IOException(file + ": not valid JSON (" + String.valueOf(ex.getMessage()).lines().findFirst().orElse("") + ")");
        }
        ObjectNode q = root.putObject("quantization_config");
        q.put("quant_method", "bitnet").put("linear_class", "bitlinear").put("quantization_mode", "offline");
        ArrayNode skip = q.putArray("modules_to_not_convert");
        notConverted.forEach(skip::add);
        return json.writeValueAsBytes(root);
    }
}

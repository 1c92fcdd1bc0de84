package org.ternary4j.formats.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ternary4j.formats.AtomicOutput;
import shade.com.google.protobuf.ByteString;

/**
 * Rewrites a dequantized ternary ONNX model so that its ternarized MatMul and Gemm weights are
 * stored packed, as {@code com.microsoft.MatMulNBits} with {@code bits=2} (see {@link NBitsBlocks}):
 * the node computes exactly the weights the dequantized model holds. Gemm's transA, alpha, beta and
 * C become a Transpose before and Mul/Add nodes after. Everything else (Conv weights, layers kept
 * in full precision) stays as it is. A weight that cannot be packed exactly is refused, never
 * approximated; a ternarized weight this rewrite cannot reach (a Constant node, a subgraph, a use
 * in another layout) stays dequantized with a note.
 */
public final class MatMulNBitsExport {

    /** What was written: the packed layers (weight → block size) and what stayed dequantized, with why. */
    public record Result(Path output, Map<String, Integer> blockSizes, List<String> notes) {}

    private static final String DOMAIN = "com.microsoft";

    private final GraphProto.Builder graph;
    private final Set<String> names = new HashSet<>();
    private final List<String> notes = new ArrayList<>();

    private MatMulNBitsExport(GraphProto.Builder graph) {
        this.graph = graph;
    }

    /**
     * Reads {@code dequantized} (the ternarized model, self-contained), packs the MatMul/Gemm
     * weights among {@code tensors}, and writes {@code out} atomically, refusing to overwrite any
     * of {@code guarded}.
     */
    public static Result write(Path dequantized, List<OnnxTernaryTensor> tensors, Path out, Path... guarded) throws IOException {
        ModelProto model = OnnxModelFile.read(dequantized);
        ModelProto.Builder edited = model.toBuilder();
        MatMulNBitsExport x = new MatMulNBitsExport(edited.getGraphBuilder());
        Map<String, Integer> blocks = x.rewrite(tensors, out.toString());
        if (!blocks.isEmpty() && edited.getOpsetImportList().stream().noneMatch(o -> o.getDomain().equals(DOMAIN))) {
            edited.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(DOMAIN).setVersion(1));
        }
        try (AtomicOutput o = AtomicOutput.open(out, guarded)) {
            OnnxModelFile.write(edited.build(), o);
            o.commit();
        }
        return new Result(out, blocks, List.copyOf(x.notes));
    }

    private Map<String, Integer> rewrite(List<OnnxTernaryTensor> tensors, String file) throws IOException {
        Map<String, Integer> initializer = new HashMap<>();
        for (int i = 0; i < graph.getInitializerCount(); i++) {
            TensorProto t = graph.getInitializer(i);
            if (TensorCodec.isExternal(t)) {
                throw new IOException(file + ": MatMulNBits output is one self-contained file; tensor '" + t.getName() + "' is in external data");
            }
            initializer.put(t.getName(), i);
        }
        collectNames();
        Map<String, OnnxTernaryTensor> ternary = new LinkedHashMap<>();
        for (OnnxTernaryTensor t : tensors) if (t.op().equals("MatMul") || t.op().equals("Gemm")) ternary.put(t.name(), t);
        Map<String, Packed> packed = new LinkedHashMap<>();
        List<NodeProto> nodes = new ArrayList<>();
        for (NodeProto n : graph.getNodeList()) {
            OnnxTernaryTensor t = n.getInputCount() > 1 ? ternary.get(n.getInput(1)) : null;
            String why = t == null ? null : unreachable(n, t, initializer);
            if (t == null || why != null) {
                if (why != null) notes.add(label(n) + ": weight '" + t.name() + "' stays dequantized (" + why + ")");
                nodes.add(n);
                continue;
            }
            Packed p = packed.get(t.name());
            if (p == null) {
                p = pack(t, file);
                packed.put(t.name(), p);
            }
            nodes.addAll(replacement(n, p));
        }
        for (String w : ternary.keySet()) {
            if (!packed.containsKey(w) && notes.stream().noneMatch(x -> x.contains("'" + w + "'"))) {
                notes.add("weight '" + w + "' stays dequantized (no MatMul or Gemm of the main graph takes it directly)");
            }
        }
        Set<String> stillUsed = new HashSet<>();
        for (NodeProto n : nodes) stillUsed.addAll(n.getInputList());
        for (var o : graph.getOutputList()) stillUsed.add(o.getName());
        // Subgraphs may name outer values: with any subgraph present every float weight stays.
        boolean subgraphs = graph.getNodeList().stream().anyMatch(n -> n.getAttributeList().stream().anyMatch(a -> a.hasG() || a.getGraphsCount() > 0));
        graph.clearNode().addAllNode(nodes);
        Set<String> dropped = new HashSet<>();
        for (String w : packed.keySet()) if (!subgraphs && !stillUsed.contains(w)) dropped.add(w);
        List<TensorProto> kept = graph.getInitializerList().stream().filter(t -> !dropped.contains(t.getName())).toList();
        graph.clearInitializer().addAllInitializer(kept);
        // Older IR versions also list initializers as graph inputs: a dropped one must not become a required input.
        for (int i = graph.getInputCount() - 1; i >= 0; i--) if (dropped.contains(graph.getInput(i).getName())) graph.removeInput(i);
        for (int i = graph.getValueInfoCount() - 1; i >= 0; i--) if (dropped.contains(graph.getValueInfo(i).getName())) graph.removeValueInfo(i);
        for (Packed p : packed.values()) graph.addAllInitializer(p.tensors);
        Map<String, Integer> blockSizes = new LinkedHashMap<>();
        for (var e : packed.entrySet()) blockSizes.put(e.getKey(), e.getValue().blocks.blockSize());
        return blockSizes;
    }

    /** Why node {@code n} cannot take the packed form of {@code t}, or null when it can. */
    private static String unreachable(NodeProto n, OnnxTernaryTensor t, Map<String, Integer> initializer) {
        if (!GraphScan.isOnnxDomain(n) || !(n.getOpType().equals("MatMul") || n.getOpType().equals("Gemm"))) return "used by " + n.getOpType();
        if (!initializer.containsKey(t.name())) return "not an initializer of the main graph";
        boolean transB = n.getOpType().equals("Gemm") && GraphScan.attribute(n, "transB").map(AttributeProto::getI).orElse(0L) != 0;
        boolean canonical = t.layout() instanceof WeightLayout.Canonical;
        if (transB != canonical) return "its first use lays it out the other way round";
        return null;
    }

    private record Packed(String codes, String scales, String zeroPoints, NBitsBlocks blocks, int floatType, List<TensorProto> tensors) {}

    private Packed pack(OnnxTernaryTensor t, String file) throws IOException {
        String where = file + ": tensor '" + t.name() + "'";
        int scaleType;
        int scaleBytes = switch (t.dataType()) {
            case "FLOAT" -> {
                scaleType = TensorProto.DataType.FLOAT_VALUE;
                yield 4;
            }
            case "FLOAT16" -> {
                scaleType = TensorProto.DataType.FLOAT16_VALUE;
                yield 2;
            }
            default -> throw new IllegalArgumentException(where + ": MatMulNBits takes FLOAT or FLOAT16 weights, not " + t.dataType());
        };
        NBitsBlocks b;
        try {
            b = NBitsBlocks.of(t.tensor(), scaleBytes);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage());
        }
        String codes = unique(t.name() + "_q2"), scales = unique(t.name() + "_scales"), zp = unique(t.name() + "_zp");
        ByteBuffer s = ByteBuffer.allocate(b.scales().length * scaleBytes).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : b.scales()) {
            if (scaleBytes == 4) s.putFloat(v);
            else s.putShort(Float.floatToFloat16(v));
        }
        List<TensorProto> tensors = List.of(
                raw(codes, TensorProto.DataType.UINT8_VALUE, b.codes(), b.n(), b.blocks(), b.blockSize() / 4),
                raw(scales, scaleType, s.array(), b.scales().length),
                raw(zp, TensorProto.DataType.UINT8_VALUE, b.zeroPoints(), b.zeroPoints().length));
        return new Packed(codes, scales, zp, b, scaleType, tensors);
    }

    private static TensorProto raw(String name, int type, byte[] bytes, long... dims) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type).setRawData(ByteString.copyFrom(bytes));
        for (long d : dims) t.addDims(d);
        return t.build();
    }

    /** MatMulNBits in place of {@code n}, with Gemm's extras around it; the last node keeps n's output name. */
    private List<NodeProto> replacement(NodeProto n, Packed p) {
        List<NodeProto> out = new ArrayList<>();
        String base = n.getName().isEmpty() ? n.getOutput(0) : n.getName();
        String a = n.getInput(0);
        boolean gemm = n.getOpType().equals("Gemm");
        if (gemm && GraphScan.attribute(n, "transA").map(AttributeProto::getI).orElse(0L) != 0) {
            String t = unique(a + "_T");
            out.add(NodeProto.newBuilder().setName(unique(base + "/transA")).setOpType("Transpose").addInput(a).addOutput(t)
                    .addAttribute(AttributeProto.newBuilder().setName("perm").setType(AttributeProto.AttributeType.INTS).addInts(1).addInts(0)).build());
            a = t;
        }
        float alpha = gemm ? GraphScan.attribute(n, "alpha").map(AttributeProto::getF).orElse(1f) : 1f;
        float beta = gemm ? GraphScan.attribute(n, "beta").map(AttributeProto::getF).orElse(1f) : 1f;
        String c = gemm && n.getInputCount() > 2 && !n.getInput(2).isEmpty() ? n.getInput(2) : null;
        String y = n.getOutput(0);
        String product = alpha == 1f && c == null ? y : unique(y + "/nbits");
        out.add(NodeProto.newBuilder().setName(unique(base + "/MatMulNBits")).setOpType("MatMulNBits").setDomain(DOMAIN)
                .addInput(a).addInput(p.codes).addInput(p.scales).addInput(p.zeroPoints).addOutput(product)
                .addAttribute(intAttr("K", p.blocks.k())).addAttribute(intAttr("N", p.blocks.n()))
                .addAttribute(intAttr("bits", 2)).addAttribute(intAttr("block_size", p.blocks.blockSize())).build());
        if (alpha != 1f) product = scaled(out, new Scaling(base + "/alpha", product, alpha, p.floatType), c == null ? y : null);
        if (c != null) {
            String bias = beta == 1f ? c : scaled(out, new Scaling(base + "/beta", c, beta, p.floatType), null);
            out.add(NodeProto.newBuilder().setName(unique(base + "/C")).setOpType("Add").addInput(product).addInput(bias).addOutput(y).build());
        }
        return out;
    }

    /** A Mul of {@code value} by the scalar {@code factor} in the model's float type (ONNX FLOAT or FLOAT16). */
    private record Scaling(String base, String value, float factor, int floatType) {}

    /** Appends the Mul and its Constant, the product named {@code output} or a fresh name; returns the name. */
    private String scaled(List<NodeProto> out, Scaling m, String output) {
        String base = m.base(), value = m.value();
        String k = unique(base + "_factor");
        String y = output != null ? output : unique(value + "_scaled");
        ByteBuffer bits = ByteBuffer.allocate(m.floatType() == TensorProto.DataType.FLOAT_VALUE ? 4 : 2).order(ByteOrder.LITTLE_ENDIAN);
        if (bits.capacity() == 4) bits.putFloat(m.factor());
        else bits.putShort(Float.floatToFloat16(m.factor()));
        TensorProto scalar = TensorProto.newBuilder().setDataType(m.floatType()).setRawData(ByteString.copyFrom(bits.array())).build();
        out.add(NodeProto.newBuilder().setName(unique(base + "/Constant")).setOpType("Constant").addOutput(k)
                .addAttribute(AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR).setT(scalar)).build());
        out.add(NodeProto.newBuilder().setName(unique(base + "/Mul")).setOpType("Mul").addInput(value).addInput(k).addOutput(y).build());
        return y;
    }

    private static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    private static String label(NodeProto n) {
        return (n.getName().isEmpty() ? n.getOpType() : n.getName()) + " (" + n.getOpType() + ")";
    }

    private void collectNames() {
        for (NodeProto n : graph.getNodeList()) {
            names.add(n.getName());
            names.addAll(n.getInputList());
            names.addAll(n.getOutputList());
        }
        for (TensorProto t : graph.getInitializerList()) names.add(t.getName());
        for (var v : graph.getInputList()) names.add(v.getName());
        for (var v : graph.getOutputList()) names.add(v.getName());
        for (var v : graph.getValueInfoList()) names.add(v.getName());
    }

    /** {@code want}, or it with a numeric suffix, never a name already in the graph. */
    private String unique(String want) {
        String s = want;
        for (int i = 1; names.contains(s); i++) s = want + "_" + i;
        names.add(s);
        return s;
    }
}

package org.ternary4j.formats.onnx;

import java.util.List;

/** A node attribute with its value decoded; tensors stay undecoded until asked for. */
public sealed interface OnnxAttribute {
    record Int(long value) implements OnnxAttribute {}

    record Float(float value) implements OnnxAttribute {}

    record Str(String value) implements OnnxAttribute {}

    record Ints(long[] values) implements OnnxAttribute {}

    record Floats(float[] values) implements OnnxAttribute {}

    record Strings(List<String> values) implements OnnxAttribute {}

    record Tensor(OnnxTensor value) implements OnnxAttribute {}

    record Graph(OnnxGraph value) implements OnnxAttribute {}

    record Graphs(List<OnnxGraph> values) implements OnnxAttribute {}

    /** A kind this project does not interpret (sparse tensors, type protos); {@code kind} names it. */
    record Other(String kind) implements OnnxAttribute {}
}

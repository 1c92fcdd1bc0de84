package org.ternary4j.formats.onnx;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One node: op type, domain ("" for the standard operators), inputs ("" for an absent optional
 * input), outputs and decoded attributes. Attribute getters take the default ONNX gives an absent
 * attribute and refuse one of the wrong kind.
 */
public record OnnxNode(String name, String opType, String domain, List<String> inputs, List<String> outputs,
                       Map<String, OnnxAttribute> attributes) {
    public OnnxNode {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        attributes = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(attributes));
    }

    /** The standard operator set ("" or "ai.onnx"). */
    public boolean standard() {
        return domain.isEmpty() || domain.equals("ai.onnx");
    }

    /** The node's name, or its op type and first output when it has none (for messages). */
    public String label() {
        return name.isEmpty() ? opType + (outputs.isEmpty() ? "" : " -> " + outputs.get(0)) : name;
    }

    /** Input {@code i}, or empty when absent or "". */
    public Optional<String> input(int i) {
        return i < inputs.size() && !inputs.get(i).isEmpty() ? Optional.of(inputs.get(i)) : Optional.empty();
    }

    /** A two-input node's input other than {@code value} (a bias Add's constant beside the product it adds to). */
    public String otherInput(String value) {
        if (inputs.size() != 2) throw new IllegalStateException(label() + " (" + opType + ") has " + inputs.size() + " inputs, not two");
        return inputs.get(0).equals(value) ? inputs.get(1) : inputs.get(0);
    }

    public boolean has(String attribute) {
        return attributes.containsKey(attribute);
    }

    public long intAttr(String attribute, long dflt) {
        return switch (attributes.get(attribute)) {
            case null -> dflt;
            case OnnxAttribute.Int i -> i.value();
            case OnnxAttribute a -> throw wrongKind(attribute, a, "an int");
        };
    }

    public float floatAttr(String attribute, float dflt) {
        return switch (attributes.get(attribute)) {
            case null -> dflt;
            case OnnxAttribute.Float f -> f.value();
            case OnnxAttribute a -> throw wrongKind(attribute, a, "a float");
        };
    }

    public String stringAttr(String attribute, String dflt) {
        return switch (attributes.get(attribute)) {
            case null -> dflt;
            case OnnxAttribute.Str s -> s.value();
            case OnnxAttribute a -> throw wrongKind(attribute, a, "a string");
        };
    }

    /** An ints attribute, or null when absent. */
    public long[] intsAttr(String attribute) {
        return switch (attributes.get(attribute)) {
            case null -> null;
            case OnnxAttribute.Ints i -> i.values().clone();
            case OnnxAttribute a -> throw wrongKind(attribute, a, "a list of ints");
        };
    }

    /** A floats attribute, or null when absent. */
    public float[] floatsAttr(String attribute) {
        return switch (attributes.get(attribute)) {
            case null -> null;
            case OnnxAttribute.Floats f -> f.values().clone();
            case OnnxAttribute a -> throw wrongKind(attribute, a, "a list of floats");
        };
    }

    /** A tensor attribute (a Constant's {@code value}), or empty when absent. */
    public Optional<OnnxTensor> tensorAttr(String attribute) {
        return switch (attributes.get(attribute)) {
            case null -> Optional.empty();
            case OnnxAttribute.Tensor t -> Optional.of(t.value());
            case OnnxAttribute a -> throw wrongKind(attribute, a, "a tensor");
        };
    }

    /** Every subgraph of this node (If branches, Loop and Scan bodies). */
    public List<OnnxGraph> subgraphs() {
        return attributes.values().stream().flatMap(a -> switch (a) {
            case OnnxAttribute.Graph g -> java.util.stream.Stream.of(g.value());
            case OnnxAttribute.Graphs g -> g.values().stream();
            default -> java.util.stream.Stream.<OnnxGraph>empty();
        }).toList();
    }

    private IllegalArgumentException wrongKind(String attribute, OnnxAttribute a, String wanted) {
        return new IllegalArgumentException("node '" + label() + "' (" + opType + "): attribute '" + attribute + "' is "
                + a.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT) + ", not " + wanted);
    }
}

package org.ternary4j.formats.onnx;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Names visible in one graph: its constants (initializers, Constant outputs) and the values
 * computed at run time, which shadow outer constants of the same name. Subgraphs see the
 * enclosing graphs' names, as ONNX's scoping rules say.
 */
final class Scope {
    private final Scope parent;
    private final Map<String, TensorSource> constants = new HashMap<>();
    private final Set<String> dynamic = new HashSet<>();

    Scope(Scope parent) {
        this.parent = parent;
    }

    void constant(String name, TensorSource source) {
        constants.put(name, source);
        dynamic.remove(name);
    }

    void dynamic(String name) {
        if (!constants.containsKey(name)) dynamic.add(name);
    }

    /** The constant a name stands for here, or null when it is computed or unknown. */
    TensorSource resolve(String name) {
        for (Scope s = this; s != null; s = s.parent) {
            TensorSource t = s.constants.get(name);
            if (t != null) return t;
            if (s.dynamic.contains(name)) return null;
        }
        return null;
    }
}

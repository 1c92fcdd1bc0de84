package org.ternary4j.formats.onnx;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The weight layers in execution order as a tree: a sequence of layers and If nodes, whose
 * branches are alternative sequences. "First" and "last" layer are path notions: a layer is
 * first when some execution path reaches it before any other weight layer (an If whose branches
 * each hold a whole network, as in Silero VAD, has a first and a last layer per branch). Loop and
 * Scan bodies run in sequence with their graph and are inlined.
 */
final class LayerPaths {
    sealed interface Item {}

    record Layer(WeightLayer layer) implements Item {}

    record Branches(List<List<Item>> alternatives) implements Item {}

    final List<Item> root = new ArrayList<>();

    /** Orders of the layers some path starts with (embeddings do not count). */
    Set<Integer> firsts() {
        Set<Integer> out = new TreeSet<>();
        collect(root, false, out);
        return out;
    }

    /** Orders of the layers some path ends with (embeddings do not count). */
    Set<Integer> lasts() {
        Set<Integer> out = new TreeSet<>();
        collect(root, true, out);
        return out;
    }

    /** Adds the layers that open the sequence on some path; true when a path crosses it without one. */
    private static boolean collect(List<Item> seq, boolean backwards, Set<Integer> out) {
        for (int i = 0; i < seq.size(); i++) {
            Item item = seq.get(backwards ? seq.size() - 1 - i : i);
            switch (item) {
                case Layer l -> {
                    if (l.layer().embedding()) continue;
                    out.add(l.layer().order());
                    return false;
                }
                case Branches b -> {
                    boolean open = b.alternatives().isEmpty();
                    for (List<Item> alt : b.alternatives()) open |= collect(alt, backwards, out);
                    if (!open) return false;
                }
            }
        }
        return true;
    }
}

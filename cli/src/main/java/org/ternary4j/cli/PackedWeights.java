package org.ternary4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.ternary4j.core.KeptTensor;
import org.ternary4j.core.TernaryTensor;
import org.ternary4j.formats.packed.PackedReader;

/** A packed file's tensors, read whole: the ternary ones and those kept at INT8/FP16, by name. */
record PackedWeights(Map<String, TernaryTensor> ternary, Map<String, KeptTensor> kept) {
    static PackedWeights read(Path packed) throws IOException {
        Map<String, TernaryTensor> ternary = new HashMap<>();
        Map<String, KeptTensor> kept = new HashMap<>();
        try (PackedReader reader = PackedReader.open(packed)) {
            for (String name : reader.ternaryNames()) ternary.put(name, reader.read(name));
            for (String name : reader.keptNames()) kept.put(name, reader.readKept(name));
        }
        return new PackedWeights(ternary, kept);
    }

    /** Ternary weights in the file. */
    long ternaryWeights() {
        return ternary.values().stream().mapToLong(t -> t.codes().length).sum();
    }
}

package org.ternary4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.ternary4j.eval.ort.OrtModel;
import org.ternary4j.eval.ort.RandomInputs;
import org.ternary4j.formats.data.DataSources;
import org.ternary4j.formats.data.Dataset;
import picocli.CommandLine.Option;

/** {@code --data}, {@code --labels}, {@code --limit}: the examples a command evaluates a model on. */
final class DataOptions {
    @Option(names = "--data", required = true, paramLabel = "DATA",
            description = "fashion-mnist (test split; fashion-mnist:train for the training split), an IDX folder, "
                    + "an .npz (x, optional y; or arrays named after the model inputs), an .npy or IDX file, "
                    + "or random:N[:SEED] (synthetic inputs shaped like the model's, for comparisons without data). IDX images are "
                    + "scaled to [0,1] (x/255) in NCHW and reshaped to the model's input; NPY/NPZ values are used as stored.")
    String data;

    @Option(names = "--labels", paramLabel = "L.npy", description = "Class labels (.npy or IDX) for an .npy/IDX input file.")
    Path labels;

    @Option(names = "--limit", paramLabel = "N", converter = Positive.class, description = "Only the first N examples.")
    Integer limit;

    /** The data set, with {@code random:N} inputs shaped like {@code model}, which is opened in ONNX Runtime only for that. */
    Dataset load(Path model) throws IOException {
        if (!random()) return load((OrtModel) null);
        try (OrtModel m = OrtModel.open(model, 1, null)) {
            return load(m);
        }
    }

    /** The data set, with {@code random:N} inputs shaped like the opened {@code model}'s. */
    Dataset load(OrtModel model) throws IOException {
        return load(model, RandomInputs.DYNAMIC_DIM);
    }

    /** As {@link #load(OrtModel)}, the model's remaining symbolic dimensions (but the batch) {@code dynamicDim} in random inputs. */
    Dataset load(OrtModel model, int dynamicDim) throws IOException {
        return load(model == null ? null : model.inputs(), dynamicDim);
    }

    /** As {@link #load(OrtModel, int)}, random inputs shaped like the {@code declared} ones. */
    Dataset load(List<OrtModel.Input> declared, int dynamicDim) throws IOException {
        Dataset d;
        if (random()) {
            if (labels != null) throw new IllegalArgumentException("--labels makes no sense with --data " + data);
            d = RandomInputs.fromSpec(data, declared, dynamicDim);
        } else {
            d = DataSources.load(data, labels);
        }
        if (limit != null) d = d.limit(limit);
        // An empty set would score as NaN % on 0 examples: refuse it by name instead.
        if (d.count() == 0) throw new IllegalArgumentException(d.source() + ": no examples");
        return d;
    }

    private boolean random() {
        return data.startsWith("random:");
    }
}

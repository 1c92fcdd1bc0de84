package org.ternary4j.qat;

import java.util.ArrayList;
import java.util.List;
import org.ternary4j.qat.Layer.BatchNorm;
import org.ternary4j.qat.Layer.Conv;
import org.ternary4j.qat.Layer.Dense;
import org.ternary4j.qat.Layer.Flatten;
import org.ternary4j.qat.Layer.GlobalAvgPool;
import org.ternary4j.qat.Layer.MaxPool;
import org.ternary4j.qat.Layer.Relu;
import org.ternary4j.qat.Layer.Residual;

/** The model zoo for 28×28×1 inputs and 10 classes. Every net ends in logits [N, 10]. */
public enum Architecture {
    MLP("mlp") {
        List<Layer> layers() {
            return List.of(new Flatten(), new Dense("fc1", 512, true), new Relu(),
                    new Dense("fc2", 512, true), new Relu(), new Dense("fc3", 10, true));
        }
    },
    LENET5("lenet5") {
        List<Layer> layers() {
            return List.of(
                    new Conv("conv1", 6, 5, 1, 2, true), new BatchNorm("bn1"), new Relu(), new MaxPool(2),
                    new Conv("conv2", 16, 5, 1, 0, true), new BatchNorm("bn2"), new Relu(), new MaxPool(2),
                    new Flatten(),
                    new Dense("fc1", 120, true), new BatchNorm("bn3"), new Relu(),
                    new Dense("fc2", 84, true), new BatchNorm("bn4"), new Relu(),
                    new Dense("fc3", 10, true));
        }
    },
    /** VGG-style: two 3×3 conv pairs with max pooling, narrow (16/32) so a CPU epoch stays short. */
    VGG("vgg") {
        List<Layer> layers() {
            List<Layer> l = new ArrayList<>();
            int[] widths = {16, 16, 32, 32};
            for (int i = 0; i < widths.length; i++) {
                l.add(new Conv("conv" + (i + 1), widths[i], 3, 1, 1, false));
                l.add(new BatchNorm("bn" + (i + 1)));
                l.add(new Relu());
                if (i % 2 == 1) l.add(new MaxPool(2));
            }
            l.add(new Flatten());
            l.add(new Dense("fc1", 128, false));
            l.add(new BatchNorm("bn5"));
            l.add(new Relu());
            l.add(new Dense("fc2", 10, true));
            return l;
        }
    },
    /**
     * ResNet-20 (He et al., CIFAR variant): a 3×3 stem, three stages of three basic blocks, global
     * average pooling, one FC; 19 convolutions + 1 FC. Narrow widths (8/16/32) keep CPU epochs
     * short; a stride-2 stage starts with a 1×1 projection shortcut (option B).
     */
    RESNET20("resnet20") {
        List<Layer> layers() {
            List<Layer> l = new ArrayList<>();
            l.add(new Conv("conv1", 8, 3, 1, 1, false));
            l.add(new BatchNorm("bn1"));
            l.add(new Relu());
            int[] widths = {8, 16, 32};
            int in = 8;
            for (int s = 0; s < 3; s++) {
                for (int b = 0; b < 3; b++) {
                    String p = "s" + (s + 1) + "b" + (b + 1);
                    int stride = s > 0 && b == 0 ? 2 : 1;
                    int w = widths[s];
                    List<Layer> main = List.of(
                            new Conv(p + ".conv1", w, 3, stride, 1, false), new BatchNorm(p + ".bn1"), new Relu(),
                            new Conv(p + ".conv2", w, 3, 1, 1, false), new BatchNorm(p + ".bn2"));
                    List<Layer> shortcut = stride != 1 || in != w
                            ? List.of(new Conv(p + ".down", w, 1, stride, 0, false), new BatchNorm(p + ".downbn"))
                            : List.of();
                    l.add(new Residual(main, shortcut));
                    l.add(new Relu());
                    in = w;
                }
            }
            l.add(new GlobalAvgPool());
            l.add(new Flatten());
            l.add(new Dense("fc", 10, true));
            return l;
        }
    };

    private final String cliName;

    Architecture(String cliName) {
        this.cliName = cliName;
    }

    abstract List<Layer> layers();

    public String cliName() {
        return cliName;
    }

    public static Architecture parse(String s) {
        for (Architecture a : values()) if (a.cliName.equals(s)) return a;
        throw new IllegalArgumentException("model '" + s + "': unknown; one of mlp, lenet5, vgg, resnet20");
    }

    /** The weighted layers in forward order (residual main path before its shortcut). */
    public static List<Layer.Weighted> weighted(List<Layer> layers) {
        List<Layer.Weighted> out = new ArrayList<>();
        collect(layers, out);
        return out;
    }

    private static void collect(List<Layer> layers, List<Layer.Weighted> out) {
        for (Layer l : layers) {
            if (l instanceof Layer.Weighted w) out.add(w);
            if (l instanceof Residual r) {
                collect(r.main(), out);
                collect(r.shortcut(), out);
            }
        }
    }
}

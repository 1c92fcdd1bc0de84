package org.ternary4j.qat;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Not a test: prints the ONNX Runtime accuracy of ONNX models on the full Fashion-MNIST test
 * split, to check exported models against the accuracy the trainer reported.
 * Usage: java -cp &lt;test classpath&gt; org.ternary4j.qat.VerifyModels model.onnx...
 */
public final class VerifyModels {
    private VerifyModels() {}

    public static void main(String[] args) throws Exception {
        FashionMnist.Split test = FashionMnist.load(FashionMnist.DEFAULT_DIR, "t10k");
        for (String a : args) {
            float[] logits = OrtRunner.logits(Files.readAllBytes(Path.of(a)), test);
            System.out.printf("%s: ONNX Runtime top-1 %.4f on %d images%n", a, Accuracy.of(logits, test.labels()), test.count());
        }
    }
}

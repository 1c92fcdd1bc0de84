package org.ternary4j.qat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import org.junit.jupiter.api.Assumptions;

/** Fashion-MNIST subsets for the tests, loaded once per JVM. */
final class TestData {
    private static FashionMnist.Split train, test;

    private TestData() {}

    static synchronized FashionMnist.Split train(int n) {
        load();
        return train.first(n);
    }

    static synchronized FashionMnist.Split test(int n) {
        load();
        return test.first(n);
    }

    private static void load() {
        Assumptions.assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR),
                "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
        if (train != null) return;
        try {
            // Only the first images are used: keep memory and time small.
            train = FashionMnist.load(FashionMnist.DEFAULT_DIR, "train").first(4096);
            test = FashionMnist.load(FashionMnist.DEFAULT_DIR, "t10k").first(2000);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

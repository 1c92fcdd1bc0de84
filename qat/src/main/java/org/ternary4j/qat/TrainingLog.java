package org.ternary4j.qat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.ternary4j.formats.AtomicOutput;

/** The per-epoch log: CSV, or JSON when the file name ends in .json; rewritten whole each epoch. */
public final class TrainingLog {
    static final String CSV_HEADER = "epoch,loss,train_accuracy,test_accuracy,wall_seconds,cpu_seconds";

    private TrainingLog() {}

    public static void write(Path file, List<EpochStats> epochs) throws IOException {
        String text;
        if (file.toString().endsWith(".json")) {
            text = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(epochs) + "\n";
        } else {
            StringBuilder sb = new StringBuilder(CSV_HEADER).append('\n');
            for (EpochStats e : epochs) {
                sb.append(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6f,%.3f,%.3f%n", e.epoch(), e.loss(), e.trainAccuracy(), e.testAccuracy(), e.wallSeconds(), e.cpuSeconds()));
            }
            text = sb.toString();
        }
        try (AtomicOutput o = AtomicOutput.open(file)) {
            ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) o.channel().write(b);
            o.commit();
        }
    }
}

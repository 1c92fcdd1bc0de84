package org.ternary4j.qat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.ternary4j.formats.AtomicOutput;

/**
 * A training run's per-epoch log: one row of numbers per epoch under named columns, as CSV, or as
 * a JSON array of objects keyed by column when the file name ends in .json (a number that is not
 * finite is empty in CSV, null in JSON). Written whole, atomically.
 */
public final class TrainingLog {
    /** A column: its name and the decimals it is written with (0: an integer). */
    public record Column(String name, int decimals) {}

    public static final Column EPOCH = new Column("epoch", 0);
    public static final Column LOSS = new Column("loss", 6);
    public static final Column TRAIN_ACCURACY = new Column("train_accuracy", 6);
    public static final Column TEST_ACCURACY = new Column("test_accuracy", 6);
    public static final Column WALL_SECONDS = new Column("wall_seconds", 3);
    public static final Column CPU_SECONDS = new Column("cpu_seconds", 3);

    /** The columns of training from scratch, one row per {@link EpochStats}. */
    public static final List<Column> FROM_SCRATCH = List.of(EPOCH, LOSS, TRAIN_ACCURACY, TEST_ACCURACY, WALL_SECONDS, CPU_SECONDS);

    private TrainingLog() {}

    /** Training from scratch: {@link #FROM_SCRATCH}'s columns. */
    public static void write(Path file, List<EpochStats> epochs) throws IOException {
        write(file, FROM_SCRATCH, epochs.stream()
                .map(e -> new double[] {e.epoch(), e.loss(), e.trainAccuracy(), e.testAccuracy(), e.wallSeconds(), e.cpuSeconds()}).toList());
    }

    /** Each row holds one value per column, in the columns' order. */
    public static void write(Path file, List<Column> columns, List<double[]> rows) throws IOException {
        boolean json = file.toString().endsWith(".json");
        StringBuilder sb = new StringBuilder();
        if (json) sb.append('[');
        else sb.append(String.join(",", columns.stream().map(Column::name).toList())).append('\n');
        for (int r = 0; r < rows.size(); r++) {
            double[] row = rows.get(r);
            if (row.length != columns.size()) throw new IllegalArgumentException("log row " + r + " has " + row.length + " values for " + columns.size() + " columns");
            if (json) sb.append(r == 0 ? "\n  {" : ",\n  {");
            for (int c = 0; c < row.length; c++) {
                String v = !Double.isFinite(row[c]) ? (json ? "null" : "")
                        : String.format(Locale.ROOT, "%." + columns.get(c).decimals() + "f", row[c]);
                if (json) sb.append(c == 0 ? "" : ", ").append('"').append(columns.get(c).name()).append("\": ").append(v);
                else sb.append(c == 0 ? "" : ",").append(v);
            }
            sb.append(json ? "}" : "\n");
        }
        if (json) sb.append(rows.isEmpty() ? "]\n" : "\n]\n");
        try (AtomicOutput o = AtomicOutput.open(file)) {
            ByteBuffer b = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) o.channel().write(b);
            o.commit();
        }
    }
}

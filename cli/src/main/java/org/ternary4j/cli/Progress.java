package org.ternary4j.cli;

import java.util.function.LongConsumer;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * A progress bar on stderr, shown only on a terminal and for runs long enough to want one;
 * stdout stays clean for the table. Counts tensor elements.
 */
final class Progress implements LongConsumer, AutoCloseable {
    /** A few seconds of work at the measured ~10–15 M weights/s. */
    static final long MIN_ELEMENTS = 32L << 20;
    static final int MIN_TENSORS = 200;

    private final ProgressBar bar;

    private Progress(ProgressBar bar) {
        this.bar = bar;
    }

    static Progress of(String task, long elements, int tensors) {
        return of(task, elements, tensors, ProgressOptions.stderrIsTerminal());
    }

    /** {@code shown}: the command's {@link ProgressOptions#bar()}. */
    static Progress of(String task, long elements, int tensors, boolean shown) {
        if (!shown || elements < MIN_ELEMENTS && tensors < MIN_TENSORS) return new Progress(null);
        return new Progress(new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(elements)
                .setUnit("M", 1_000_000)
                .setUpdateIntervalMillis(500)
                .setConsumer(new ConsoleProgressBarConsumer(System.err, 100))
                .showSpeed()
                .build());
    }

    @Override
    public void accept(long elements) {
        if (bar != null) bar.stepBy(elements);
    }

    @Override
    public void close() {
        if (bar != null) bar.close();
    }
}

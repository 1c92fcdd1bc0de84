package org.ternary4j.cli;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import org.ternary4j.ptq.SafetensorsQuantization;

/**
 * A progress bar on stderr, shown only on a terminal and for runs long enough to want one;
 * stdout stays clean for the table. Counts tensor elements.
 */
final class Progress implements SafetensorsQuantization.Monitor, AutoCloseable {
    /** A few seconds of work at the measured ~10–15 M weights/s. */
    static final long MIN_ELEMENTS = 32L << 20;
    static final int MIN_TENSORS = 200;

    private final String task;
    private final boolean shown;
    private ProgressBar bar;

    /** {@code shown}: the command's {@link ProgressOptions#bar()}. */
    Progress(String task, boolean shown) {
        this.task = task;
        this.shown = shown;
    }

    @Override
    public void start(long elements, int tensors) {
        if (!shown || elements < MIN_ELEMENTS && tensors < MIN_TENSORS) return;
        bar = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(elements)
                .setUnit("M", 1_000_000)
                .setUpdateIntervalMillis(500)
                .setConsumer(new ConsoleProgressBarConsumer(System.err, 100))
                .showSpeed()
                .build();
    }

    @Override
    public void done(long elements) {
        if (bar != null) bar.stepBy(elements);
    }

    @Override
    public void close() {
        if (bar != null) bar.close();
    }
}

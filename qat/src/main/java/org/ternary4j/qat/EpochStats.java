package org.ternary4j.qat;

/** One epoch: mean training loss, training accuracy (on the fly), test accuracy, time taken. */
public record EpochStats(int epoch, double loss, double trainAccuracy, double testAccuracy, double wallSeconds, double cpuSeconds) {}

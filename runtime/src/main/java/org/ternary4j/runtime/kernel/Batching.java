package org.ternary4j.runtime.kernel;

/**
 * When a convolution shares a batch among threads by whole images instead of splitting each
 * image's rows or groups: every output is computed by the same code in the same order either
 * way, so the choice changes no result, only how many hand-offs a call waits for.
 */
final class Batching {
    private Batching() {}

    /** At least one image per thread: each thread then runs whole images without handing work to the others. */
    static boolean acrossImages(int n, Parallel par) {
        return par.threads() > 1 && n >= par.threads();
    }
}

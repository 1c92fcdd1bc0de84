package org.ternary4j.formats.gguf;

import org.junit.jupiter.api.Test;

/** Both block formats against ggml's own reference quantizers (transcribed in {@link GgmlReference}). */
class TernaryBlocksTest {
    @Test
    void tq2_0MatchesGgmlReferenceQuantizerAndRoundTrips() {
        GgmlReference.assertMatchesReference(new Tq2_0(), 66, GgmlReference::quantizeTq2_0, 7);
    }

    @Test
    void tq1_0MatchesGgmlReferenceQuantizerAndRoundTrips() {
        GgmlReference.assertMatchesReference(new Tq1_0(), 54, GgmlReference::quantizeTq1_0, 11);
    }
}

package org.ternary4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import org.ternary4j.formats.data.NpzReader;

/** Any bytes as a .npz (zip of .npy) file. */
class NpzFuzzTest {
    @FuzzTest
    void npz(byte[] bytes) throws IOException {
        Hostile.check(bytes, NpzReader::read);
    }
}

package org.ternary4j.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import org.ternary4j.formats.data.NpyReader;

/** Any bytes as a .npy file, read as values and as class labels. */
class NpyFuzzTest {
    @FuzzTest
    @DictionaryEntries({"'descr'", "'fortran_order'", "'shape'", "True", "False", "'<f4'", "'>f8'", "'|u1'", "'<i8'", "'<f2'"})
    void npy(byte[] bytes) throws IOException {
        Hostile.check(bytes, NpyReader::read);
        Hostile.check(bytes, NpyReader::readLabels);
    }
}

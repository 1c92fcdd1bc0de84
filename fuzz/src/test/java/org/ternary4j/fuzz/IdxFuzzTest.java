package org.ternary4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import org.ternary4j.formats.data.IdxReader;

/** Any bytes (plain or gzipped) as an IDX file. */
class IdxFuzzTest {
    @FuzzTest
    void idx(byte[] bytes) throws IOException {
        Hostile.check(bytes, IdxReader::read);
    }
}

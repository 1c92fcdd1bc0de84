package org.ternary4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import org.ternary4j.ptq.calibrate.CalibrationInputs;

/**
 * Any bytes as the calibration data of {@code quantize --calibrate FILE}: recognised by content
 * (IDX, .npy, .npz) and checked as every data set is (examples, finite values, entry names).
 */
class CalibrationDataFuzzTest {
    @FuzzTest
    void calibration(byte[] bytes) throws IOException {
        Hostile.check(bytes, file -> CalibrationInputs.load(file.toString()));
    }
}

package org.ternary4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AotTrainingTest {

    @Test
    void quantizesAndLeavesTheScratchFolderEmpty(@TempDir Path scratch) throws IOException {
        assertEquals(0, AotTraining.run(scratch));
        try (Stream<Path> s = Files.list(scratch)) {
            assertEquals(0, s.count());
        }
    }
}

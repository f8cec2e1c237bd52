package sortedllama.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sortedllama.model.ExitSet;
import sortedllama.tensor.DType;

/** A sorted-tuned model records its exits in config.json; they become the model's default exit set. */
class SortedExitsTest {
    @Test
    void exitsSurviveARoundTrip(@TempDir Path dir) throws Exception {
        try (ModelFile source = ModelLoader.open(Fixtures.path("tied_legacy.bin"))) {
            assertArrayEquals(new int[] {1, 2, 3, 4}, source.exitSet().layers(), "no record: every layer");
            SafetensorsWriter.write(dir.resolve("sorted"), source.weights(), DType.F32, ExitSet.parse("2,4", 4));
            SafetensorsWriter.write(dir.resolve("plain"), source.weights(), DType.F32);
        }
        try (ModelFile sorted = ModelLoader.open(dir.resolve("sorted")); ModelFile plain = ModelLoader.open(dir.resolve("plain"))) {
            assertArrayEquals(new int[] {2, 4}, sorted.exitSet().layers());
            assertArrayEquals(new int[] {1, 2, 3, 4}, plain.exitSet().layers());
        }
    }
}

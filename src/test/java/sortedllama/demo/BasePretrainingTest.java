package sortedllama.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sortedllama.BadInputException;
import sortedllama.io.ModelFile;
import sortedllama.io.ModelLoader;

/** Pre-training a base model of another shape, with the sorted objective, end to end at toy size. */
class BasePretrainingTest {

    @Test
    void sortedPretrainingWritesALoadableModelWithItsExitsAndTheCommandThatMadeIt(@TempDir Path dir) throws Exception {
        var s = new BasePretraining.Settings(150, 300, 32, 4, 64, 32, 4, 3, 3e-3, 7, null).withExits("every:2");
        BasePretraining.run(dir, s, new PrintWriter(new StringWriter()));
        try (ModelFile file = ModelLoader.open(dir)) {
            assertEquals(4, file.config().nLayers());
            assertEquals(32, file.config().dim());
            assertArrayEquals(new int[] {2, 4}, file.exitSet().layers());
        }
        JsonNode record = new ObjectMapper().readTree(dir.resolve("pretraining.json").toFile());
        String command = record.get("command").asText();
        assertTrue(command.contains("--pretrain-dim 32 --pretrain-layers 4") && command.contains("--pretrain-exits every:2"), command);
        assertTrue(Double.isFinite(record.get("final_training_loss").asDouble()));
        assertEquals(4, record.get("corpus_loss_per_layer").size());
    }

    @Test
    void refusesShapesAndExitListsItCannotTrain() {
        var d = BasePretraining.Settings.defaults();
        assertThrows(BadInputException.class, () -> d.withShape(100, 8));
        assertThrows(BadInputException.class, () -> d.withShape(128, 0));
        assertThrows(BadInputException.class, () -> d.withLearningRate(0));
        assertThrows(BadInputException.class, () -> d.withExits("9"));
        assertEquals("./sorted-llama demo --pretrain-base out --pretrain-steps 4000", d.command("out"));
    }
}

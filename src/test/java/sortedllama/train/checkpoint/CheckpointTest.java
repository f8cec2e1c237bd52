package sortedllama.train.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sortedllama.BadInputException;
import sortedllama.model.LlamaConfig;
import sortedllama.model.RopeLayout;
import sortedllama.train.AdamW;
import sortedllama.train.Batch;
import sortedllama.train.ExitObjective;
import sortedllama.train.LrSchedule;
import sortedllama.train.MetricsLog;
import sortedllama.train.Param;
import sortedllama.train.TrainableModel;
import sortedllama.train.Trainer;
import sortedllama.train.data.DataPosition;

class CheckpointTest {
    static final LlamaConfig C = new LlamaConfig(32, 64, 3, 4, 2, 8, 50, 32, 1e-5f, 10000f, null, RopeLayout.INTERLEAVED, 1, 2);

    static Trainer trainer(TrainableModel m) {
        return new Trainer(m, new ExitObjective(new int[] {1, 3}, new double[] {1, 1}),
                new Trainer.Settings(LrSchedule.constant(1e-2), AdamW.Settings.defaults(), 1.0, false));
    }

    static Batch batch(int seed) {
        Random r = new Random(seed);
        return Batch.of(2, 8, r.ints(16, 0, 50).toArray(), r.ints(16, 0, 50).toArray());
    }

    @Test
    void saveThenLoadContinuesBitForBit(@TempDir Path dir) {
        TrainableModel a = TrainableModel.random(C, 1, false);
        Trainer ta = trainer(a);
        ta.step(List.of(batch(1)));
        ta.step(List.of(batch(2)));
        ObjectNode options = new ObjectMapper().createObjectNode().put("lr", 1e-2);
        Path ckpt = dir.resolve("checkpoint");
        Checkpoint.save(ckpt, a, ta, new DataPosition(1, 3), options);
        Checkpoint.save(ckpt, a, ta, new DataPosition(1, 3), options); // replaces the previous one
        assertTrue(Checkpoint.exists(ckpt));
        assertTrue(Files.notExists(dir.resolve("checkpoint.tmp")));

        TrainableModel b = TrainableModel.random(C, 99, false);
        Trainer tb = trainer(b);
        Checkpoint.State s = Checkpoint.load(ckpt, b, tb);
        assertEquals(2, s.step());
        assertEquals(2, tb.steps());
        assertEquals(new DataPosition(1, 3), s.position());
        assertEquals(options, s.options());
        ta.step(List.of(batch(3)));
        tb.step(List.of(batch(3)));
        List<Param> pa = a.params(), pb = b.params();
        for (int i = 0; i < pa.size(); i++) {
            assertArrayEquals(pa.get(i).value(), pb.get(i).value(), pa.get(i).name()); // assertArrayEquals on floats compares bits
            float[][] ma = ta.optimizer().moments(pa.get(i)), mb = tb.optimizer().moments(pb.get(i));
            assertNotNull(ma);
            assertArrayEquals(ma[0], mb[0]);
            assertArrayEquals(ma[1], mb[1]);
        }
    }

    @Test
    void missingOrMismatchedCheckpointIsBadInput(@TempDir Path dir) {
        TrainableModel a = TrainableModel.random(C, 1, true);
        assertThrows(BadInputException.class, () -> Checkpoint.load(dir.resolve("none"), a, trainer(a)));
        Checkpoint.save(dir.resolve("c"), a, trainer(a), DataPosition.START, new ObjectMapper().createObjectNode());
        TrainableModel untied = TrainableModel.random(C, 1, false);
        assertThrows(BadInputException.class, () -> Checkpoint.load(dir.resolve("c"), untied, trainer(untied)));
    }

    static Path savedCheckpoint(Path dir) {
        TrainableModel a = TrainableModel.random(C, 1, false);
        Trainer ta = trainer(a);
        ta.step(List.of(batch(1)));
        Checkpoint.save(dir, a, ta, new DataPosition(0, 1), new ObjectMapper().createObjectNode());
        return Checkpoint.newest(dir);
    }

    static String loadError(Path dir) {
        TrainableModel b = TrainableModel.random(C, 2, false);
        return assertThrows(BadInputException.class, () -> Checkpoint.load(dir, b, trainer(b))).getMessage();
    }

    @Test
    void stateJsonWithoutItsKeysIsOneLineNamingTheKey(@TempDir Path dir) throws Exception {
        Path snapshot = savedCheckpoint(dir);
        Files.writeString(snapshot.resolve("state.json"), "{\"step\": 1}");
        String message = loadError(dir);
        assertTrue(message.contains("no complete checkpoint") && message.contains("\"optimizer_steps\""), message);
        assertEquals(1, message.lines().count());
    }

    @Test
    void truncatedTensorsAreRefusedNamingTheSizes(@TempDir Path dir) throws Exception {
        Path snapshot = savedCheckpoint(dir);
        Path tensors = snapshot.resolve("tensors.bin");
        long size = Files.size(tensors);
        Files.write(tensors, Arrays.copyOf(Files.readAllBytes(tensors), 100));
        String message = loadError(dir);
        assertTrue(message.contains("tensors.bin has 100 bytes, state.json says " + size), message);
    }

    @Test
    void aNewRunRefusesToDeleteACheckpointUnlessTold(@TempDir Path dir) throws Exception {
        Checkpoint.claim(dir.resolve("absent"), false); // nothing there: nothing to refuse
        savedCheckpoint(dir);
        String message = assertThrows(BadInputException.class, () -> Checkpoint.claim(dir, false)).getMessage();
        assertTrue(message.contains("a checkpoint at step 1") && message.contains("--resume") && message.contains("--overwrite"), message);
        assertTrue(Checkpoint.exists(dir));
        Checkpoint.claim(dir, true);
        assertTrue(Files.notExists(dir));
    }

    @Test
    void metricsAreTrimmedToTheCheckpointDroppingAHalfWrittenLastLine(@TempDir Path dir) throws Exception {
        Path metrics = dir.resolve("metrics.jsonl");
        Files.writeString(metrics, "{\"step\":0,\"v\":1}\n{\"step\":1,\"loss\":2.5}\n{\"step\":2,\"loss\":2.4}\n{\"step\":3,\"lo");
        MetricsLog.truncateAfter(metrics, 1);
        assertEquals("{\"step\":0,\"v\":1}\n{\"step\":1,\"loss\":2.5}\n", Files.readString(metrics));
        Files.writeString(metrics, "{\"step\":0}\n{\"ste\n{\"step\":1}\n");
        String message = assertThrows(BadInputException.class, () -> MetricsLog.truncateAfter(metrics, 1)).getMessage();
        assertTrue(message.startsWith(metrics + ": line 2 is not JSON"), message);
    }
}

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
}

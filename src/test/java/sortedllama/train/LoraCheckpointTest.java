package sortedllama.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaWeights;
import sortedllama.model.RopeLayout;
import sortedllama.tensor.DType;
import sortedllama.train.checkpoint.Checkpoint;
import sortedllama.train.data.DataPosition;

/** A LoRA checkpoint holds the adapters and their moments, not the frozen base, and resuming continues bit for bit. */
class LoraCheckpointTest {
    static final LlamaConfig C = Models.tiny(3, 24, RopeLayout.INTERLEAVED);

    @Test
    void resumedAdaptersContinueBitForBit(@TempDir Path dir) throws Exception {
        try (Arena arena = Arena.ofShared()) {
            LlamaWeights base = LoraModels.base(C, 6, DType.F16, arena);
            LoraConfig config = new LoraConfig(3, 6, LoraConfig.parseTargets("q,k,o,up"));
            ExitObjective objective = ExitObjective.equal(ExitSet.all(3));
            List<Batch> batches = List.of(Runs.randomBatch(1, 2, 8, 24), Runs.randomBatch(2, 2, 8, 24), Runs.randomBatch(3, 2, 8, 24));

            TrainableModel a = TrainableModel.withStoredProjections(base, null);
            config.attach(a, 1);
            Trainer ta = new Trainer(a, objective, Runs.settings(1e-2, false));
            ta.step(List.of(batches.get(0)));
            ta.step(List.of(batches.get(1)));
            Path ckpt = dir.resolve("checkpoint");
            Checkpoint.save(ckpt, a, ta, new DataPosition(0, 2), new ObjectMapper().createObjectNode());

            // the adapters (values and two moments each) and nothing of the base
            long adapterFloats = a.adapterParams().stream().mapToLong(Param::size).sum();
            long size = Files.size(Checkpoint.newest(ckpt).resolve("tensors.bin"));
            assertTrue(size > 3 * 4 * adapterFloats && size < 3 * 4 * adapterFloats + 4096, size + " bytes for " + adapterFloats + " adapter floats");

            TrainableModel b = TrainableModel.withStoredProjections(base, null);
            config.attach(b, 99); // another A: the checkpoint must overwrite it
            Trainer tb = new Trainer(b, objective, Runs.settings(1e-2, false));
            Checkpoint.load(ckpt, b, tb);
            assertEquals(2, tb.steps());
            ta.step(List.of(batches.get(2)));
            tb.step(List.of(batches.get(2)));
            List<Param> pa = a.adapterParams(), pb = b.adapterParams();
            for (int i = 0; i < pa.size(); i++) {
                assertArrayEquals(pa.get(i).value(), pb.get(i).value(), pa.get(i).name());
                assertArrayEquals(ta.optimizer().moments(pa.get(i))[1], tb.optimizer().moments(pb.get(i))[1], pa.get(i).name());
            }
        }
    }
}

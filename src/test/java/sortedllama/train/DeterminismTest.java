package sortedllama.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaConfig;
import sortedllama.model.RopeLayout;
import sortedllama.tensor.Parallel;

/**
 * Same seed, same steps: bit-identical losses and parameters, also with a different number of
 * threads (every reduction has a fixed order, whatever the split of the work). Shapes are large
 * enough that the kernels split their work over threads.
 */
class DeterminismTest {

    private static List<Object> train(int threads) {
        int saved = Parallel.threads();
        Parallel.setThreads(threads);
        try {
            LlamaConfig c = new LlamaConfig(64, 128, 3, 4, 2, 16, 96, 64, 1e-5f, 10000f, null, RopeLayout.INTERLEAVED, 1, 2);
            TrainableModel m = TrainableModel.random(c, 11, true);
            Trainer trainer = new Trainer(m, ExitObjective.equal(ExitSet.all(3)), Runs.settings(3e-3, false));
            List<Object> record = new ArrayList<>();
            for (int s = 0; s < 3; s++) {
                // two micro-batches per step: accumulation is part of what must be reproducible
                var r = trainer.step(List.of(Runs.randomBatch(2 * s, 4, 32, 96), Runs.randomBatch(2 * s + 1, 4, 32, 96)));
                record.add(r.loss());
                record.add(r.gradNorm());
            }
            for (Param p : m.params()) record.add(p.value().clone());
            return record;
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void identicalRunsGiveIdenticalBits() {
        List<Object> first = train(Parallel.threads()), second = train(Parallel.threads()), oneThread = train(1);
        for (List<Object> other : List.of(second, oneThread)) {
            assertEquals(first.size(), other.size());
            for (int i = 0; i < first.size(); i++) {
                if (first.get(i) instanceof float[] a) assertArrayEquals(a, (float[]) other.get(i), "parameter " + i);
                else assertEquals(first.get(i), other.get(i), "loss / gradient norm " + i);
            }
        }
    }
}

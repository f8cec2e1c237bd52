package sortedllama.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaConfig;
import sortedllama.model.RopeLayout;

/** 30 SoFT steps on one repeated sequence drive the loss down at every exit. */
class OverfitTest {

    @Test
    void softLearnsARepeatedSequenceAtEveryExit() {
        LlamaConfig c = Models.tiny(4, 32, RopeLayout.HALF_SPLIT);
        TrainableModel m = TrainableModel.random(c, 5, false);
        ExitObjective objective = ExitObjective.equal(ExitSet.all(4));
        int[] sequence = new Random(3).ints(17, 0, 32).toArray();
        int[] tokens = new int[32], targets = new int[32];
        for (int b = 0; b < 2; b++) {
            for (int t = 0; t < 16; t++) {
                tokens[b * 16 + t] = sequence[t];
                targets[b * 16 + t] = sequence[t + 1];
            }
        }
        Batch batch = Batch.of(2, 16, tokens, targets);
        Trainer trainer = new Trainer(m, objective, new Trainer.Settings(
                new LrSchedule(1e-2, 1e-3, 3, 30, LrSchedule.Decay.COSINE), AdamW.Settings.defaults(), 1.0, true));
        double[] first = trainer.pass().evaluate(batch, objective).perExit();
        for (int s = 0; s < 30; s++) trainer.step(List.of(batch));
        double[] last = trainer.pass().evaluate(batch, objective).perExit();
        System.out.println("overfit: per-exit loss " + Arrays.toString(first) + " -> " + Arrays.toString(last));
        for (int i = 0; i < last.length; i++) {
            assertTrue(last[i] < 0.25 * first[i], "exit " + (i + 1) + ": loss " + first[i] + " -> " + last[i]);
        }
    }
}

package sortedllama.train;

import java.util.Random;

/** Helpers for tests that train a few steps. */
final class Runs {
    private Runs() {}

    static Batch randomBatch(long seed, int batchSize, int seqLen, int vocab) {
        Random rnd = new Random(seed);
        int n = batchSize * seqLen;
        return Batch.of(batchSize, seqLen, rnd.ints(n, 0, vocab).toArray(), rnd.ints(n, 0, vocab).toArray());
    }

    static Trainer.Settings settings(double lr, boolean checkpointing) {
        return new Trainer.Settings(new LrSchedule(lr, lr / 10, 2, 20, LrSchedule.Decay.COSINE),
                AdamW.Settings.defaults(), 1.0, checkpointing);
    }

    static float[][] snapshot(TrainableModel m) {
        return m.params().stream().map(p -> p.value().clone()).toArray(float[][]::new);
    }
}

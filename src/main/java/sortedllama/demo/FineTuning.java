package sortedllama.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import sortedllama.model.ExitSet;
import sortedllama.train.AdamW;
import sortedllama.train.Batch;
import sortedllama.train.ExitObjective;
import sortedllama.train.LrSchedule;
import sortedllama.train.TrainableModel;
import sortedllama.train.Trainer;
import sortedllama.train.data.DataPosition;
import sortedllama.train.data.TrainingData;

/**
 * One fine-tuning run of the demo: {@code steps} optimizer steps on the same batches in the same
 * order as every other run (so that the methods differ only in their objective), warm-up then
 * cosine decay, with a progress bar; keeps each trained exit's loss per step for the curves.
 */
final class FineTuning {

    /** What a run leaves: the trained model, its per-step per-exit losses, its wall time. */
    record Run(TrainableModel model, ExitObjective objective, List<double[]> curve, double seconds) {}

    private FineTuning() {}

    static Run run(String label, TrainableModel model, ExitObjective objective, TrainingData data, int steps, double lr) {
        var schedule = new LrSchedule(lr, lr / 10, Math.max(1, steps / 20), steps, LrSchedule.Decay.COSINE);
        var trainer = new Trainer(model, objective, new Trainer.Settings(schedule, AdamW.Settings.defaults(), 1.0, false));
        var batches = data.batches(DataPosition.START);
        List<double[]> curve = new ArrayList<>();
        long t0 = System.nanoTime();
        try (ProgressBar bar = new ProgressBarBuilder().setTaskName("    " + label).setInitialMax(steps)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).continuousUpdate().build()) {
            for (int step = 0; step < steps; step++) {
                var r = trainer.step(List.of(batches.next()));
                curve.add(r.perExitLoss().clone());
                bar.setExtraMessage(String.format(Locale.ROOT, "loss %.3f", r.loss()));
                bar.step();
            }
        }
        return new Run(model, objective, curve, (System.nanoTime() - t0) / 1e9);
    }

    /** Mean held-out cross-entropy at each of {@code layers} (in that order), on at most {@code maxBatches} batches. */
    static double[] heldOutLoss(TrainableModel model, int[] layers, List<Batch> heldOut, int maxBatches) {
        var pass = new sortedllama.train.TrainingPass(model, false);
        ExitObjective objective = ExitObjective.equal(new ExitSet(layers));
        int batches = Math.min(maxBatches, heldOut.size());
        double[] sum = new double[layers.length];
        for (int b = 0; b < batches; b++) {
            double[] perExit = pass.evaluate(heldOut.get(b), objective).perExit();
            for (int i = 0; i < layers.length; i++) sum[i] += perExit[i] / batches;
        }
        return sum;
    }
}

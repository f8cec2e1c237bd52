package sortedllama.demo;

import java.util.ArrayList;
import java.util.List;
import sortedllama.model.ExitSet;
import sortedllama.train.Batch;
import sortedllama.train.ExitObjective;
import sortedllama.train.HeldOutLoss;
import sortedllama.train.TrainableModel;
import sortedllama.train.TrainingPass;
import sortedllama.train.TrainingProgress;
import sortedllama.train.TrainingRun;
import sortedllama.train.data.DataPosition;
import sortedllama.train.data.TrainingData;

/**
 * One fine-tuning run of the demo: {@code steps} optimizer steps on the same batches in the same
 * order as every other run (so that the methods differ only in their objective), through the one
 * training loop with {@code train}'s schedule; keeps each trained exit's loss per step for the curves.
 */
final class FineTuning {

    /** What a run leaves: the trained model, its per-step per-exit losses, its wall time. */
    record Run(TrainableModel model, ExitObjective objective, List<double[]> curve, double seconds) {}

    private FineTuning() {}

    /**
     * The demo's training settings, for fine-tuning and pre-training alike: {@code train}'s defaults but for weight decay 0.1 (LLaMA's
     * pre-training value, which the demo has used from the start; {@code train} defaults to none).
     * {@code train --lr LR --weight-decay 0.1 --batch 8 --seq-len 256} trains the same.
     */
    static TrainingRun.Settings settings(double lr) {
        return TrainingRun.Settings.defaults().withLearningRate(lr).withWeightDecay(0.1);
    }

    static Run run(String label, TrainableModel model, ExitObjective objective, TrainingData data, int steps, double lr) {
        return run(label, model, objective, data, steps, lr, null);
    }

    /** @param checkpoints called every so many steps and at the end (the demo's QA curve), or null */
    static Run run(String label, TrainableModel model, ExitObjective objective, TrainingData data, int steps, double lr,
                   TrainingRun.Checkpoints checkpoints) {
        var run = new TrainingRun(model, objective, settings(lr), steps);
        List<double[]> curve = new ArrayList<>();
        long t0 = System.nanoTime();
        try (var progress = new TrainingProgress("    " + label, steps, 0)) {
            run.train(data.batches(DataPosition.START), steps, null, checkpoints,
                    TrainingRun.Listener.both(progress, TrainingRun.Listener.onStep(r -> curve.add(r.perExitLoss().clone()))));
        }
        return new Run(model, objective, curve, (System.nanoTime() - t0) / 1e9);
    }

    /** Mean held-out cross-entropy at each of {@code layers} (in that order), on at most {@code maxBatches} batches. */
    static double[] heldOutLoss(TrainableModel model, int[] layers, List<Batch> heldOut, int maxBatches) {
        return HeldOutLoss.perBatch(new TrainingPass(model, false), ExitObjective.equal(new ExitSet(layers)),
                heldOut.subList(0, Math.min(maxBatches, heldOut.size())));
    }
}

package sortedllama.train;

import java.util.List;

/**
 * Cross-entropy per exit on batches that do not train (validation, held-out, a corpus sample),
 * averaged one of two ways, both kept on purpose:
 * <ul>
 *   <li>{@link #perToken}: every counted target weighs the same, whatever batch it is in: the
 *       validation loss {@code train} logs, right when batches hold different numbers of targets
 *       (padding, prompts that do not count);</li>
 *   <li>{@link #perBatch}: the mean of the batches' means, as the demo has measured its held-out
 *       losses from the start (its published figures stay reproducible).</li>
 * </ul>
 * Both are in {@code objective.exits()} order, and zeros when there are no batches.
 */
public final class HeldOutLoss {
    private HeldOutLoss() {}

    public static double[] perToken(TrainingPass pass, ExitObjective objective, List<Batch> batches) {
        double[] sum = new double[objective.exits().length];
        long count = 0;
        for (Batch b : batches) {
            double[] perExit = pass.evaluate(b, objective).perExit();
            int n = b.countedTargets();
            for (int e = 0; e < sum.length; e++) sum[e] += perExit[e] * n;
            count += n;
        }
        for (int e = 0; e < sum.length; e++) sum[e] /= Math.max(1, count);
        return sum;
    }

    public static double[] perBatch(TrainingPass pass, ExitObjective objective, List<Batch> batches) {
        double[] mean = new double[objective.exits().length];
        for (Batch b : batches) {
            double[] perExit = pass.evaluate(b, objective).perExit();
            for (int e = 0; e < mean.length; e++) mean[e] += perExit[e] / batches.size();
        }
        return mean;
    }
}

package sortedllama.train;

import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;
import sortedllama.BadInputException;

/**
 * Optimizer steps over a model and an exit objective: the gradients of one or more
 * micro-batches (accumulated, each weighted 1/count, so the step's loss is the mean of the
 * micro-batches' losses), clipped by global norm, then one AdamW update at the scheduled rate.
 */
public final class Trainer {

    /**
     * @param maxGradNorm   clip the global gradient norm to this; 0 turns clipping off
     * @param checkpointing recompute each layer's activations in the backward instead of keeping them
     * @param precision     of the matrix products (master weights and AdamW's moments stay float32)
     */
    public record Settings(LrSchedule schedule, AdamW.Settings adamW, double maxGradNorm, boolean checkpointing, Precision precision) {
        /** Float32 products. */
        public Settings(LrSchedule schedule, AdamW.Settings adamW, double maxGradNorm, boolean checkpointing) {
            this(schedule, adamW, maxGradNorm, checkpointing, Precision.F32);
        }
    }

    /**
     * What one step did: the mean of its micro-batches' losses, the gradient norm before clipping,
     * the rate, and per exit trained by any micro-batch ({@code exits}, ascending) the mean
     * cross-entropy over the micro-batches that trained it.
     */
    public record StepResult(int step, double loss, int[] exits, double[] perExitLoss, double gradNorm, double lr, double seconds) {}

    private final TrainableModel model;
    private final ExitObjective objective;
    private final Settings settings;
    private final TrainingPass pass;
    private final AdamW optimizer;

    public Trainer(TrainableModel model, ExitObjective objective, Settings settings) {
        objective.check(model.config);
        this.model = model;
        this.objective = objective;
        this.settings = settings;
        this.pass = new TrainingPass(model, settings.checkpointing(), settings.precision());
        this.optimizer = new AdamW(model.trainingParams(), settings.adamW());
    }

    /** Steps taken so far; the next step uses the schedule's rate at this index. */
    public int steps() {
        return optimizer.steps();
    }

    /** The optimizer, for checkpoints (its moments and step count). */
    public AdamW optimizer() {
        return optimizer;
    }

    public TrainingPass pass() {
        return pass;
    }

    public StepResult step(List<Batch> microBatches) {
        return step(microBatches, Collections.nCopies(microBatches.size(), objective));
    }

    /**
     * One step where micro-batch i trains {@code objectives.get(i)} (e.g. its own draw of the exits,
     * {@link ExitSampling}) instead of the constructor's objective.
     */
    public StepResult step(List<Batch> microBatches, List<ExitObjective> objectives) {
        if (microBatches.isEmpty()) throw new BadInputException("a training step needs at least one batch");
        if (objectives.size() != microBatches.size()) {
            throw new IllegalArgumentException(objectives.size() + " objectives for " + microBatches.size() + " micro-batches");
        }
        for (ExitObjective o : objectives) o.check(model.config);
        long t0 = System.nanoTime();
        // the exits any micro-batch trains, and how many micro-batches train each
        int[] count = new int[model.config.nLayers() + 1];
        for (ExitObjective o : objectives) for (int k : o.exits()) count[k]++;
        int[] exits = IntStream.rangeClosed(1, model.config.nLayers()).filter(k -> count[k] > 0).toArray();
        double[] perExitByLayer = new double[count.length];
        model.zeroGrads();
        double loss = 0;
        float share = 1f / microBatches.size();
        for (int b = 0; b < microBatches.size(); b++) {
            ExitObjective o = objectives.get(b);
            ExitLosses l = pass.forwardBackward(microBatches.get(b), o, share);
            loss += l.loss() / microBatches.size();
            for (int i = 0; i < o.exits().length; i++) perExitByLayer[o.exits()[i]] += l.perExit()[i] / count[o.exits()[i]];
        }
        double[] perExit = new double[exits.length];
        for (int i = 0; i < exits.length; i++) perExit[i] = perExitByLayer[exits[i]];
        double norm = Gradients.clipGlobalNorm(model.trainingParams(), settings.maxGradNorm());
        int step = optimizer.steps();
        double lr = settings.schedule().lr(step);
        optimizer.step(lr);
        return new StepResult(step, loss, exits, perExit, norm, lr, (System.nanoTime() - t0) / 1e9);
    }
}

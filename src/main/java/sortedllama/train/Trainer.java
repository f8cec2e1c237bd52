package sortedllama.train;

import java.util.List;
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
     */
    public record Settings(LrSchedule schedule, AdamW.Settings adamW, double maxGradNorm, boolean checkpointing) {}

    /** What one step did: the losses of its micro-batches (averaged), the gradient norm before clipping, the rate. */
    public record StepResult(int step, double loss, double[] perExitLoss, double gradNorm, double lr) {}

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
        this.pass = new TrainingPass(model, settings.checkpointing());
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
        return step(microBatches, objective);
    }

    /** One step on another objective than the constructor's (e.g. a random subset of the exits each step). */
    public StepResult step(List<Batch> microBatches, ExitObjective objective) {
        objective.check(model.config);
        if (microBatches.isEmpty()) throw new BadInputException("a training step needs at least one batch");
        List<Param> params = model.trainingParams();
        model.zeroGrads();
        double loss = 0;
        double[] perExit = new double[objective.exits().length];
        float share = 1f / microBatches.size();
        for (Batch batch : microBatches) {
            ExitLosses l = pass.forwardBackward(batch, objective, share);
            loss += l.loss() / microBatches.size();
            for (int i = 0; i < perExit.length; i++) perExit[i] += l.perExit()[i] / microBatches.size();
        }
        double norm = Gradients.clipGlobalNorm(params, settings.maxGradNorm());
        int step = optimizer.steps();
        double lr = settings.schedule().lr(step);
        optimizer.step(lr);
        return new StepResult(step, loss, perExit, norm, lr);
    }
}

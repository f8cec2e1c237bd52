package sortedllama.train;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import sortedllama.BadInputException;

/**
 * The training loop, the only one: {@code train}, the demo's fine-tuning and pre-training and
 * {@code bench train} configure it and call it. Each optimizer step takes {@code accumulate}
 * micro-batches, draws each one's exits ({@link ExitSampling}), lets the {@link Trainer} do
 * forward, backward, clipping and AdamW at the scheduled rate, then reports to the listener,
 * validates and checkpoints at their cadence.
 *
 * <p>Resuming: restore the checkpoint into {@link #trainer()} (parameters, moments, step count)
 * and pass batches that continue where the checkpoint's data position says; the loop goes on from
 * the trainer's step, and every random choice is a function of the seed and the step, so a resumed
 * run is bit-identical to an uninterrupted one.
 */
public final class TrainingRun {

    /**
     * How a run trains. {@link #defaults()} are {@code train}'s defaults; the demo's runs differ in
     * weight decay (0.1, LLaMA's pre-training value) and pass it explicitly.
     *
     * @param warmupSteps linear warm-up steps, or null for 5% of the run (rounded down)
     * @param maxGradNorm clip the global gradient norm to this (0: off)
     * @param accumulate  micro-batches per optimizer step
     * @param precision   of the matrix products ({@link Precision#F32} unless asked)
     */
    public record Settings(double learningRate, Integer warmupSteps, double weightDecay, double maxGradNorm, int accumulate,
                           ExitSampling exitSampling, boolean activationCheckpointing, Precision precision) {
        // as constants, so that train's --help shows the same defaults the record has
        public static final double LEARNING_RATE = 3e-4, WEIGHT_DECAY = 0.0, MAX_GRAD_NORM = 1.0;
        public static final int ACCUMULATE = 1;

        public Settings {
            if (!(learningRate > 0)) throw new BadInputException("--lr must be positive, got " + learningRate);
            if (weightDecay < 0) throw new BadInputException("--weight-decay must be >= 0, got " + weightDecay);
            if (!(maxGradNorm >= 0)) throw new BadInputException("--clip must be >= 0, got " + maxGradNorm);
            if (accumulate < 1) throw new BadInputException("--accumulate must be at least 1, got " + accumulate);
            if (warmupSteps != null && warmupSteps < 0) throw new BadInputException("--warmup must be >= 0, got " + warmupSteps);
            precision.requireAvailable();
        }

        public static Settings defaults() {
            return new Settings(LEARNING_RATE, null, WEIGHT_DECAY, MAX_GRAD_NORM, ACCUMULATE, ExitSampling.ALL, false, Precision.F32);
        }

        public Settings withLearningRate(double lr) {
            return new Settings(lr, warmupSteps, weightDecay, maxGradNorm, accumulate, exitSampling, activationCheckpointing, precision);
        }

        public Settings withWeightDecay(double decay) {
            return new Settings(learningRate, warmupSteps, decay, maxGradNorm, accumulate, exitSampling, activationCheckpointing, precision);
        }

        public Settings withActivationCheckpointing(boolean on) {
            return new Settings(learningRate, warmupSteps, weightDecay, maxGradNorm, accumulate, exitSampling, on, precision);
        }

        public Settings withExitSampling(ExitSampling sampling) {
            return new Settings(learningRate, warmupSteps, weightDecay, maxGradNorm, accumulate, sampling, activationCheckpointing, precision);
        }

        public Settings withPrecision(Precision p) {
            return new Settings(learningRate, warmupSteps, weightDecay, maxGradNorm, accumulate, exitSampling, activationCheckpointing, p);
        }

        /** Warm-up over {@code warmupSteps} (default 5% of the run), then cosine decay to a tenth of the peak. */
        public LrSchedule schedule(int totalSteps) {
            int warm = warmupSteps != null ? warmupSteps : totalSteps / 20;
            if (warm > totalSteps) throw new BadInputException("--warmup must be in 0.." + totalSteps + ", got " + warm);
            return new LrSchedule(learningRate, learningRate / 10, warm, totalSteps, LrSchedule.Decay.COSINE);
        }

        /** AdamW with LLaMA's betas and epsilon and this run's weight decay. */
        public AdamW.Settings adamW() {
            return new AdamW.Settings(0.9, 0.95, 1e-8, weightDecay);
        }
    }

    /** Validation loss per exit of {@code objective} (token-weighted) every {@code every} steps (0: only after the last step). */
    public record Validation(ExitObjective objective, List<Batch> batches, int every) {
        public Validation {
            if (every < 0) throw new BadInputException("--eval-every must be >= 0, got " + every);
        }
    }

    /** A checkpoint every {@code every} steps (0: only when the call ends), written by {@code writer} from the trainer's state. */
    public record Checkpoints(int every, Consumer<Trainer> writer) {
        public Checkpoints {
            if (every < 0) throw new BadInputException("--checkpoint-every must be >= 0, got " + every);
        }
    }

    /** What the loop reports; each method does nothing unless overridden. */
    public interface Listener {
        /** After every optimizer step, with the training throughput of that step. */
        default void stepped(Trainer.StepResult result, double tokensPerSecond) {}

        /** After each validation; step 0 is the model before training. */
        default void validated(int step, int[] exits, double[] perExitLoss) {}

        /** Just before a checkpoint is written (e.g. to flush what it logged up to here). */
        default void checkpointing(int step) {}

        /** A listener that only takes each step's result. */
        static Listener onStep(Consumer<Trainer.StepResult> f) {
            return new Listener() {
                @Override
                public void stepped(Trainer.StepResult result, double tokensPerSecond) {
                    f.accept(result);
                }
            };
        }

        static Listener both(Listener a, Listener b) {
            return new Listener() {
                @Override
                public void stepped(Trainer.StepResult result, double tokensPerSecond) {
                    a.stepped(result, tokensPerSecond);
                    b.stepped(result, tokensPerSecond);
                }

                @Override
                public void validated(int step, int[] exits, double[] perExitLoss) {
                    a.validated(step, exits, perExitLoss);
                    b.validated(step, exits, perExitLoss);
                }

                @Override
                public void checkpointing(int step) {
                    a.checkpointing(step);
                    b.checkpointing(step);
                }
            };
        }
    }

    private final ExitObjective objective;
    private final Settings settings;
    private final int totalSteps;
    private final Trainer trainer;

    public TrainingRun(TrainableModel model, ExitObjective objective, Settings settings, int totalSteps) {
        if (totalSteps < 1) throw new BadInputException("--steps must be at least 1, got " + totalSteps);
        settings.exitSampling().check(objective);
        this.objective = objective;
        this.settings = settings;
        this.totalSteps = totalSteps;
        this.trainer = new Trainer(model, objective,
                new Trainer.Settings(settings.schedule(totalSteps), settings.adamW(), settings.maxGradNorm(), settings.activationCheckpointing(),
                        settings.precision()));
    }

    /** The trainer: restore a checkpoint into it before {@link #train}, or save its state. */
    public Trainer trainer() {
        return trainer;
    }

    public int totalSteps() {
        return totalSteps;
    }

    /** The whole run, without validation or checkpoints. */
    public void train(Iterator<Batch> batches, Listener listener) {
        train(batches, totalSteps, null, null, listener);
    }

    /**
     * Trains from the trainer's current step up to step {@code until} (at most the run's total; less
     * to stop early as if interrupted). Validation (may be null) runs before the first step of a
     * fresh run, at its cadence and after the run's last step; checkpoints (may be null) at their
     * cadence and when this call stops.
     */
    public void train(Iterator<Batch> batches, int until, Validation validation, Checkpoints checkpoints, Listener listener) {
        int stopAt = Math.min(until, totalSteps);
        if (validation != null && trainer.steps() == 0) validate(validation, 0, listener);
        while (trainer.steps() < stopAt) {
            int step = trainer.steps();
            List<Batch> micro = new ArrayList<>(settings.accumulate());
            List<ExitObjective> objectives = new ArrayList<>(settings.accumulate());
            long tokens = 0;
            for (int i = 0; i < settings.accumulate(); i++) {
                Batch b = batches.next();
                tokens += b.countedTargets();
                micro.add(b);
                objectives.add(settings.exitSampling().draw(objective, step, i));
            }
            Trainer.StepResult r = trainer.step(micro, objectives);
            listener.stepped(r, tokens / Math.max(1e-9, r.seconds()));
            int done = trainer.steps();
            if (validation != null && ((validation.every() > 0 && done % validation.every() == 0) || done == totalSteps)) {
                validate(validation, done, listener);
            }
            if (checkpoints != null && ((checkpoints.every() > 0 && done % checkpoints.every() == 0) || done == stopAt)) {
                listener.checkpointing(done);
                checkpoints.writer().accept(trainer);
            }
        }
    }

    private void validate(Validation v, int step, Listener listener) {
        if (v.batches().isEmpty()) return;
        listener.validated(step, v.objective().exits(), HeldOutLoss.perToken(trainer.pass(), v.objective(), v.batches()));
    }
}

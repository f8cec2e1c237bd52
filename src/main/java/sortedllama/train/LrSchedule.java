package sortedllama.train;

import sortedllama.BadInputException;

/**
 * Learning rate by optimizer step (0-based): linear warm-up from maxLr / warmupSteps to maxLr
 * over the first {@code warmupSteps} steps, then cosine or linear decay to minLr at step
 * {@code totalSteps}, minLr after that.
 */
public record LrSchedule(double maxLr, double minLr, int warmupSteps, int totalSteps, Decay decay) {

    public enum Decay { COSINE, LINEAR, CONSTANT }

    public LrSchedule {
        if (!(maxLr > 0) || minLr < 0 || minLr > maxLr || warmupSteps < 0 || totalSteps < warmupSteps) {
            throw new BadInputException("bad learning-rate schedule: max " + maxLr + " min " + minLr + " warm-up "
                    + warmupSteps + " of " + totalSteps + " steps");
        }
    }

    public static LrSchedule constant(double lr) {
        return new LrSchedule(lr, lr, 0, 0, Decay.CONSTANT);
    }

    public double lr(int step) {
        if (step < warmupSteps) return maxLr * (step + 1) / warmupSteps;
        double progress = Math.min(1.0, (step - warmupSteps) / (double) Math.max(1, totalSteps - warmupSteps));
        return switch (decay) {
            case COSINE -> minLr + 0.5 * (1 + Math.cos(Math.PI * progress)) * (maxLr - minLr);
            case LINEAR -> maxLr + (minLr - maxLr) * progress;
            case CONSTANT -> maxLr;
        };
    }
}

package sortedllama.train;

import java.util.Arrays;
import sortedllama.BadInputException;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaConfig;

/**
 * Which exits train and how much each counts: loss = sum_i weights[i] * CE(exit exits[i]), the
 * final norm and head shared by all exits. Exits are 1-based layer counts in ascending order;
 * weights are normalised to sum 1. Standard fine-tuning is the single exit L.
 */
public record ExitObjective(int[] exits, double[] weights) {

    public ExitObjective {
        if (exits.length == 0 || exits.length != weights.length) {
            throw new BadInputException("exit objective: " + exits.length + " exits and " + weights.length + " weights");
        }
        double sum = 0;
        for (int i = 0; i < exits.length; i++) {
            if (exits[i] < 1 || (i > 0 && exits[i] <= exits[i - 1])) {
                throw new BadInputException("exits must be ascending layer numbers from 1: " + Arrays.toString(exits));
            }
            if (!(weights[i] >= 0)) throw new BadInputException("exit weight " + weights[i] + " is negative");
            sum += weights[i];
        }
        if (!(sum > 0)) throw new BadInputException("exit weights sum to " + sum);
        exits = exits.clone();
        double[] normalised = new double[weights.length];
        for (int i = 0; i < weights.length; i++) normalised[i] = weights[i] / sum;
        weights = normalised;
    }

    /** Every exit of the set, equally weighted (SoFT's default). */
    public static ExitObjective equal(ExitSet set) {
        double[] w = new double[set.layers().length];
        Arrays.fill(w, 1.0);
        return new ExitObjective(set.layers(), w);
    }

    /** The last layer only: standard fine-tuning. */
    public static ExitObjective lastLayer(LlamaConfig c) {
        return new ExitObjective(new int[] {c.nLayers()}, new double[] {1});
    }

    public int deepest() {
        return exits[exits.length - 1];
    }

    public void check(LlamaConfig c) {
        c.checkExitLayer(deepest());
    }

    @Override
    public String toString() {
        return "exits " + Arrays.toString(exits) + " weights " + Arrays.toString(weights);
    }
}

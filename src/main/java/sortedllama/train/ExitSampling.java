package sortedllama.train;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import sortedllama.BadInputException;

/**
 * Training a random subset of the exits per micro-batch instead of all of them (SortedNet's
 * stochastic sub-model sampling), so a step costs the heads of N exits rather than |B|. Each
 * micro-batch draws afresh, from a generator seeded by (seed, step, micro-batch): a resumed run
 * draws exactly what an uninterrupted one did.
 *
 * <p>Both modes are unbiased: the expected objective of a draw is the full objective, the mean
 * cross-entropy over all exits of the set (each exit weight 1/|B|).
 * <ul>
 *   <li>{@link Mode#UNIFORM} (SortedNet): N exits drawn uniformly without replacement, equally
 *       weighted. Exit e is drawn with probability N/|B| and then weighs 1/N: 1/|B| in expectation.</li>
 *   <li>{@link Mode#KEEP_LAST}: the last layer every time, with weight 1/|B|, and N - 1 of the
 *       other exits drawn uniformly, each weighing (|B| - 1) / (|B| (N - 1)); a drawn exit is drawn
 *       with probability (N - 1)/(|B| - 1), so it too weighs 1/|B| in expectation. Less variance at
 *       the full model, whose quality matters most, at the price of a less even curriculum.</li>
 * </ul>
 * With {@code perStep} zero, or at least |B|, every exit trains every time: the objective as given.
 */
public record ExitSampling(int perStep, Mode mode, long seed) {

    public enum Mode { UNIFORM, KEEP_LAST }

    /** Every exit, every micro-batch. */
    public static final ExitSampling ALL = new ExitSampling(0, Mode.UNIFORM, 0);

    public ExitSampling {
        if (perStep < 0) throw new BadInputException("exits per step must be at least 1, got " + perStep);
        if (mode == Mode.KEEP_LAST && perStep == 1) {
            throw new BadInputException("--exit-sampling keep-last needs at least 2 exits per step (the last layer and one more)");
        }
    }

    public static Mode parseMode(String name) {
        for (Mode m : Mode.values()) {
            if (m.name().replace('_', '-').equalsIgnoreCase(name.strip())) return m;
        }
        throw new BadInputException("--exit-sampling: unknown value \"" + name + "\" (uniform, keep-last)");
    }

    public String modeName() {
        return mode.name().replace('_', '-').toLowerCase(Locale.ROOT);
    }

    /** Refuses a count the objective's exits cannot supply. */
    public void check(ExitObjective full) {
        if (perStep > full.exits().length) {
            throw new BadInputException("--exits-per-step must be in 1.." + full.exits().length + " (the exits "
                    + Arrays.toString(full.exits()) + "), got " + perStep);
        }
    }

    /** The objective of micro-batch {@code micro} of optimizer step {@code step}: a draw from the equally weighted {@code full}. */
    public ExitObjective draw(ExitObjective full, int step, int micro) {
        int[] all = full.exits();
        if (perStep == 0 || perStep >= all.length) return full;
        var random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step * 0x632BE59BD9B4E019L + micro);
        int n = all.length;
        boolean keepLast = mode == Mode.KEEP_LAST;
        int[] pool = keepLast ? Arrays.copyOf(all, n - 1) : all.clone();
        int drawn = keepLast ? perStep - 1 : perStep;
        for (int i = 0; i < drawn; i++) { // partial Fisher-Yates
            int j = i + random.nextInt(pool.length - i);
            int t = pool[i];
            pool[i] = pool[j];
            pool[j] = t;
        }
        int[] chosen = Arrays.copyOf(pool, perStep);
        if (keepLast) chosen[perStep - 1] = all[n - 1];
        Arrays.sort(chosen);
        double[] w = new double[perStep];
        for (int i = 0; i < perStep; i++) {
            w[i] = keepLast && chosen[i] != all[n - 1] ? (n - 1.0) / (n * (perStep - 1.0)) : 1.0 / (keepLast ? n : perStep);
        }
        return new ExitObjective(chosen, w);
    }
}

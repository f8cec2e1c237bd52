package sortedllama.model;

import java.util.Arrays;
import java.util.TreeSet;
import sortedllama.BadInputException;

/**
 * A set of exit layers (1-based, ascending): the sub-models a sorted model is trained and served
 * at. Written "2,4,6", "every:4" (4, 8, ..., ending at the last layer) or "every:4@12" (12, 16, ...
 * from layer 12; LLaMA 2 13B with every:4@12 gives the paper's 12, 16, ..., 40), or "all".
 */
public record ExitSet(int[] layers) {

    public ExitSet {
        if (layers.length == 0) throw new BadInputException("the exit set is empty");
    }

    /** This set with the last layer {@code depth} added if it is missing: the full model is always one of the sub-models. */
    public ExitSet withLast(int depth) {
        if (last() == depth) return this;
        int[] more = Arrays.copyOf(layers, layers.length + 1);
        more[layers.length] = depth;
        return new ExitSet(more);
    }

    public static ExitSet all(int depth) {
        int[] all = new int[depth];
        for (int i = 0; i < depth; i++) all[i] = i + 1;
        return new ExitSet(all);
    }

    public static ExitSet parse(String spec, int depth) {
        String s = spec.strip();
        if (s.equals("all")) return all(depth);
        TreeSet<Integer> exits = new TreeSet<>();
        if (s.startsWith("every:")) {
            String[] parts = s.substring("every:".length()).split("@");
            int step = parseLayer(parts[0], spec);
            int from = parts.length > 1 ? parseLayer(parts[1], spec) : step;
            if (step < 1 || parts.length > 2) throw new BadInputException("exit set \"" + spec + "\": write every:STEP or every:STEP@FIRST");
            for (int k = from; k <= depth; k += step) exits.add(k);
            exits.add(depth);
            if (from > depth) throw new BadInputException("exit set \"" + spec + "\" starts at layer " + from + " but the model has " + depth + " layers");
        } else {
            for (String part : s.split(",")) {
                if (part.isBlank()) throw new BadInputException("exit set \"" + spec + "\" has an empty entry");
                exits.add(parseLayer(part, spec));
            }
        }
        for (int k : exits) {
            if (k < 1 || k > depth) {
                throw new BadInputException("exit layer " + k + " in \"" + spec + "\" is out of range: this model has layers 1.." + depth);
            }
        }
        return new ExitSet(exits.stream().mapToInt(Integer::intValue).toArray());
    }

    private static int parseLayer(String text, String spec) {
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw new BadInputException("exit set \"" + spec + "\": \"" + text.strip() + "\" is not a layer number "
                    + "(write e.g. 2,4,6 or every:4 or every:4@12)");
        }
    }

    /** The deepest exit whose layers fit in {@code budget} (0..1] of the full depth. */
    public int deepestWithin(double budget, int depth) {
        if (!(budget > 0 && budget <= 1)) throw new BadInputException("budget must be in (0, 1], got " + budget);
        int best = -1;
        for (int k : layers) if (k <= budget * depth + 1e-9) best = k;
        if (best < 0) {
            throw new BadInputException("no exit fits a budget of " + budget + " (" + budget * depth + " of " + depth
                    + " layers); the shallowest exit is " + layers[0]);
        }
        return best;
    }

    public int last() {
        return layers[layers.length - 1];
    }

    @Override
    public String toString() {
        return Arrays.toString(layers);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ExitSet e && Arrays.equals(layers, e.layers);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(layers);
    }
}

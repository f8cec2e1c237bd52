package sortedllama.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import sortedllama.BadInputException;

/**
 * What LoRA adapts: the rank r, alpha (the update is scaled by alpha / r) and which projections
 * of every layer get an adapter. {@link #attach} turns a model into a LoRA model: everything of
 * the base freezes (embedding, norms, head too), and each targeted projection gets an adapter.
 */
public record LoraConfig(int rank, double alpha, List<Target> targets) {

    /** The projections of a layer an adapter can sit on, by their --lora-targets names. */
    public enum Target {
        Q(TrainableModel.Layer::wq), K(TrainableModel.Layer::wk), V(TrainableModel.Layer::wv), O(TrainableModel.Layer::wo),
        GATE(TrainableModel.Layer::gate), UP(TrainableModel.Layer::up), DOWN(TrainableModel.Layer::down);

        private final Function<TrainableModel.Layer, Param> projection;

        Target(Function<TrainableModel.Layer, Param> projection) {
            this.projection = projection;
        }

        public Param of(TrainableModel.Layer layer) {
            return projection.apply(layer);
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Every projection: QLoRA (Dettmers et al. 2023) found adapting all of them needed to match full fine-tuning. */
    public static final String ALL_TARGETS = "q,k,v,o,gate,up,down";

    public LoraConfig {
        if (rank < 1) throw new BadInputException("--lora-rank must be at least 1, got " + rank);
        if (!(alpha > 0) || Double.isInfinite(alpha)) throw new BadInputException("--lora-alpha must be positive, got " + alpha);
        if (targets.isEmpty()) throw new BadInputException("--lora-targets names no projection");
        targets = List.copyOf(targets);
    }

    /** The default alpha: 2 r, a scale of 2 whatever the rank (as the common r 8 / alpha 16 and r 16 / alpha 32). */
    public static double defaultAlpha(int rank) {
        return 2.0 * rank;
    }

    /** "q,k,v" -> [Q, K, V], in the order of a layer; unknown or repeated names are bad input. */
    public static List<Target> parseTargets(String list) {
        EnumSet<Target> seen = EnumSet.noneOf(Target.class);
        for (String raw : list.split(",", -1)) {
            String name = raw.strip();
            Target t = null;
            for (Target c : Target.values()) if (c.label().equalsIgnoreCase(name)) t = c;
            if (t == null) throw new BadInputException("--lora-targets: unknown projection \"" + name + "\" (" + ALL_TARGETS + ")");
            if (!seen.add(t)) throw new BadInputException("--lora-targets: " + name + " is named twice");
        }
        return new ArrayList<>(seen);
    }

    public String targetList() {
        return String.join(",", targets.stream().map(Target::label).toList());
    }

    public float scale() {
        return (float) (alpha / rank);
    }

    /**
     * Freezes every parameter of {@code model} and gives each targeted projection of every layer a
     * fresh adapter (A seeded by {@code seed}, B zero). The base matrices can be float32 or stored.
     */
    public void attach(TrainableModel model, long seed) {
        model.setTrainable(p -> false);
        for (TrainableModel.Layer layer : model.layers) {
            for (Target t : targets) {
                Param base = t.of(layer);
                if (base.adapter() != null) throw new IllegalStateException(base.name() + " has an adapter already");
                if (rank > Math.min(base.rows(), base.cols())) {
                    throw new BadInputException("--lora-rank " + rank + " exceeds the size of " + base.name() + " "
                            + Arrays.toString(base.shape()));
                }
                base.setAdapter(LoraAdapter.init(base, rank, alpha, seed));
            }
        }
    }
}

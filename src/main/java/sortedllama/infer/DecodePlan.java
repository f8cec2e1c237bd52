package sortedllama.infer;

import java.util.Locale;
import sortedllama.BadInputException;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaModel;

/**
 * How one request is decoded: at full depth, at a fixed exit (given, or the deepest that fits a
 * compute budget), self-speculatively, or adaptively per token. Built from the user's options by
 * {@link #of}, which validates them against the model, so the CLI and the server agree.
 */
public record DecodePlan(Mode mode, int exitLayer, int draftExit, int draftTokens, boolean adaptiveDraft,
                         ExitPolicy policy, AdaptiveGenerator.KvFill kvFill, boolean heuristicDraft) {

    public enum Mode {
        FULL, EXIT, SPECULATIVE, ADAPTIVE;

        public static Mode parse(String s) {
            for (Mode m : values()) if (m.name().equalsIgnoreCase(s.strip())) return m;
            throw new BadInputException("unknown mode \"" + s + "\": use full, exit, speculative or adaptive");
        }
    }

    /** Draft length when none is given: the paper's adaptive draft started at 4. */
    public static final int DEFAULT_DRAFT_TOKENS = 4;
    /** Share of the depth used as the default draft exit (the paper drafted with layer 12 of 40). */
    public static final double DEFAULT_DRAFT_DEPTH = 0.3;

    /**
     * @param mode        null: "exit" when an exit layer or budget is given, else "full"
     * @param exits       the model's exit set (sorted-tuned exits, or every layer)
     * @param confidence  thresholds for adaptive mode ("0.9" or "K:C,..."); null: 0.9 at every exit
     */
    public static DecodePlan of(String mode, Integer exitLayer, Double budget, Integer draftExit, Integer draftTokens,
                                boolean adaptiveDraft, String confidence, String kvFill, ExitSet exits, LlamaConfig c) {
        int depth = c.nLayers();
        Mode m = mode != null ? Mode.parse(mode) : (exitLayer != null || budget != null ? Mode.EXIT : Mode.FULL);
        if (exitLayer != null && budget != null) throw new BadInputException("give an exit layer or a budget, not both");
        int exit = depth;
        if (exitLayer != null) {
            c.checkExitLayer(exitLayer);
            exit = exitLayer;
        } else if (budget != null) {
            exit = exits.deepestWithin(budget, depth);
        }
        if (m == Mode.EXIT && exitLayer == null && budget == null) {
            throw new BadInputException("mode exit needs an exit layer or a budget");
        }
        if (m != Mode.EXIT && (exitLayer != null || budget != null)) {
            throw new BadInputException("an exit layer or a budget applies to mode exit only, and mode " + m.name().toLowerCase(Locale.ROOT)
                    + " would ignore it: give one or the other");
        }
        int draft = draftExit != null ? draftExit : defaultDraftExit(exits, depth);
        int g = draftTokens != null ? draftTokens : DEFAULT_DRAFT_TOKENS;
        ExitPolicy policy = null;
        if (m == Mode.ADAPTIVE) policy = ExitPolicy.parse(confidence == null ? "0.9" : confidence, exits.layers(), depth);
        var fill = kvFill == null ? AdaptiveGenerator.KvFill.RECOMPUTE : parseFill(kvFill);
        var plan = new DecodePlan(m, m == Mode.FULL ? depth : exit, draft, g, adaptiveDraft, policy, fill, false);
        if (m == Mode.SPECULATIVE) plan.validateSpeculative(depth);
        return plan;
    }

    /** Decoding at one exit layer (full depth when it is the last). */
    public static DecodePlan fixedExit(int exitLayer, LlamaConfig c) {
        c.checkExitLayer(exitLayer);
        return new DecodePlan(exitLayer == c.nLayers() ? Mode.FULL : Mode.EXIT, exitLayer, 0, 0, false, null, null, false);
    }

    private void validateSpeculative(int depth) {
        if (depth < 2) throw new BadInputException("speculative decoding needs a model with at least 2 layers");
        new SpeculativeGenerator.Limits(depth).check(draftExit, draftTokens);
    }

    static int defaultDraftExit(ExitSet exits, int depth) {
        int target = (int) Math.max(1, Math.round(DEFAULT_DRAFT_DEPTH * depth));
        int best = -1;
        for (int k : exits.layers()) if (k < depth && (best < 0 || Math.abs(k - target) < Math.abs(best - target))) best = k;
        return best > 0 ? best : Math.min(target, depth - 1);
    }

    private static AdaptiveGenerator.KvFill parseFill(String s) {
        try {
            return AdaptiveGenerator.KvFill.valueOf(s.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BadInputException("unknown KV fill \"" + s + "\": use recompute or propagate");
        }
    }

    /**
     * The same speculative plan with its draft length set by Hugging Face's rule ({@link HeuristicDraftLength}:
     * start at the draft tokens, +2 after a fully accepted round, -1 otherwise) instead of the cost model.
     */
    public DecodePlan withHeuristicDraft() {
        if (mode != Mode.SPECULATIVE) throw new BadInputException("the heuristic draft schedule is for speculative mode");
        return new DecodePlan(mode, exitLayer, draftExit, draftTokens, adaptiveDraft, policy, kvFill, true);
    }

    /** @param speculation what speculation has measured on this model, kept by the caller across generations */
    public Generator.Result generate(LlamaModel model, SpeculationMemory speculation, int[] prompt, int maxTokens, Sampler sampler,
                                     int eosId, Generator.TokenListener listener) {
        return switch (mode) {
            case FULL, EXIT -> new Generator(model).generate(prompt, maxTokens, exitLayer, sampler, eosId, listener);
            case SPECULATIVE -> {
                var generator = new SpeculativeGenerator(model, draftExit, draftTokens, adaptiveDraft, true, speculation);
                yield (heuristicDraft ? generator.withHeuristicDraft() : generator).generate(prompt, maxTokens, sampler, eosId, listener);
            }
            case ADAPTIVE -> new AdaptiveGenerator(model, policy, kvFill).generate(prompt, maxTokens, sampler, eosId, listener);
        };
    }
}

package sortedllama.infer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sortedllama.model.LlamaModel;

/**
 * Measures a decoding plan against full-depth greedy decoding on a prompt set, in the same run:
 * speed, mean depth, acceptance, and how often the outputs agree with full depth.
 */
public final class ModeBenchmark {
    private ModeBenchmark() {}

    /**
     * Totals of one plan over the prompt set.
     *
     * @param identicalOutputs prompts whose whole output equals full-depth greedy output
     * @param tokenAgreement   share of positions where the token equals full depth's
     */
    public record Totals(double tokensPerSecond, double meanDepth, double acceptance, int identicalOutputs, double tokenAgreement) {}

    /** Full-depth greedy outputs: the reference the plans are compared with. */
    public static List<int[]> fullDepthOutputs(LlamaModel model, List<int[]> prompts, int tokens) {
        List<int[]> out = new ArrayList<>();
        int depth = model.config().nLayers();
        for (int[] p : prompts) out.add(new Generator(model).generate(p, tokens, depth, Sampler.greedy(), -1, null).tokens());
        return out;
    }

    /**
     * Every plan on the prompt set: a whole untimed pass of each first (so that the JIT has
     * compiled its paths and, for speculation, the speed memory has settled), then {@code runs}
     * timed greedy passes, the plans taking turns within each run so that a burst of load from
     * elsewhere on the machine hits them alike; each plan's fastest run is kept.
     */
    public static Map<String, Totals> measure(LlamaModel model, Map<String, DecodePlan> plans, List<int[]> prompts, int tokens,
                                              List<int[]> reference, int runs) {
        for (DecodePlan plan : plans.values()) for (int[] p : prompts) plan.generate(model, p, tokens, Sampler.greedy(), -1, null);
        Map<String, Totals> best = new LinkedHashMap<>();
        for (int r = 0; r < Math.max(1, runs); r++) {
            plans.forEach((name, plan) -> best.merge(name, timedPass(model, plan, prompts, tokens, reference),
                    (a, b) -> b.tokensPerSecond() > a.tokensPerSecond() ? b : a));
        }
        return best;
    }

    /** One timed greedy pass of a plan over every prompt. */
    static Totals timedPass(LlamaModel model, DecodePlan plan, List<int[]> prompts, int tokens, List<int[]> reference) {
        long nanos = 0, generated = 0, drafted = 0, total = 0;
        double depthSum = 0, acceptedSum = 0;
        int identical = 0, agreeing = 0, compared = 0;
        for (int i = 0; i < prompts.size(); i++) {
            Generator.Result r = plan.generate(model, prompts.get(i), tokens, Sampler.greedy(), -1, null);
            nanos += r.decodeNanos();
            generated += Math.max(0, r.tokens().length - 1);
            total += r.tokens().length;
            depthSum += r.meanDepth() * r.tokens().length;
            if (!Double.isNaN(r.acceptance())) {
                acceptedSum += r.acceptance() * r.tokens().length;
                drafted += r.tokens().length;
            }
            int[] want = reference.get(i);
            if (Arrays.equals(want, r.tokens())) identical++;
            for (int t = 0; t < Math.min(want.length, r.tokens().length); t++, compared++) {
                if (want[t] == r.tokens()[t]) agreeing++;
            }
        }
        return new Totals(generated / (nanos / 1e9), depthSum / Math.max(1, total), drafted == 0 ? Double.NaN : acceptedSum / drafted,
                identical, compared == 0 ? Double.NaN : (double) agreeing / compared);
    }
}

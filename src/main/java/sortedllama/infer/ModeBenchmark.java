package sortedllama.infer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
     * A whole untimed pass first (so that the JIT has compiled this plan's paths and, for
     * speculation, the speed memory has settled), then a timed greedy pass over every prompt.
     */
    public static Totals measure(LlamaModel model, DecodePlan plan, List<int[]> prompts, int tokens, List<int[]> reference) {
        for (int[] p : prompts) plan.generate(model, p, tokens, Sampler.greedy(), -1, null);
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

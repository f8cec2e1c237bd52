package sortedllama.infer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
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
     * @param tokenAgreement   share of full depth's tokens reproduced before the first divergence
     *                         (the common prefix over the reference's length, summed over prompts):
     *                         after a divergence the two outputs continue different texts, so
     *                         comparing them position by position would count chance coincidences
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
     * timed greedy passes in which the plans take turns on each prompt (the order rotating from
     * prompt to prompt), so that a burst of load from elsewhere on the machine hits them alike.
     * For each plan and prompt the fastest of the runs is kept, and a plan's speed is its tokens
     * over the sum of those times: on a shared machine memory bandwidth drifts by tens of percent
     * within a second, and a prompt takes a tenth of that, so the best of each prompt is far less
     * disturbed than the best of whole passes.
     */
    public static Map<String, Totals> measure(LlamaModel model, Map<String, DecodePlan> plans, List<int[]> prompts, int tokens,
                                              List<int[]> reference, int runs) {
        var speculation = new SpeculationMemory();
        for (DecodePlan plan : plans.values()) for (int[] p : prompts) plan.generate(model, speculation, p, tokens, Sampler.greedy(), -1, null);
        var fastest = fastestPerPrompt(new ArrayList<>(plans.keySet()), prompts.size(), runs,
                (name, i) -> plans.get(name).generate(model, speculation, prompts.get(i), tokens, Sampler.greedy(), -1, null));
        Map<String, Totals> out = new LinkedHashMap<>();
        fastest.forEach((name, results) -> out.put(name, totals(List.of(results), reference)));
        return out;
    }

    /**
     * {@code runs} rounds in which every decoder decodes every prompt, the decoders taking turns on
     * each prompt in an order that rotates by one from prompt to prompt and from run to run (so
     * that none is always first after another's work); each decoder's fastest result per prompt.
     */
    static <K> Map<K, Generator.Result[]> fastestPerPrompt(List<K> decoders, int prompts, int runs,
                                                           BiFunction<K, Integer, Generator.Result> decode) {
        Map<K, Generator.Result[]> fastest = new LinkedHashMap<>();
        for (K d : decoders) fastest.put(d, new Generator.Result[prompts]);
        for (int r = 0; r < Math.max(1, runs); r++) {
            for (int i = 0; i < prompts; i++) {
                for (int k = 0; k < decoders.size(); k++) {
                    K d = decoders.get((i + r + k) % decoders.size());
                    Generator.Result result = decode.apply(d, i);
                    Generator.Result[] kept = fastest.get(d);
                    if (kept[i] == null || result.decodeNanos() < kept[i].decodeNanos()) kept[i] = result;
                }
            }
        }
        return fastest;
    }

    /** Speed, depth, acceptance and agreement of one result per prompt. */
    static Totals totals(List<Generator.Result> results, List<int[]> reference) {
        long nanos = 0, generated = 0, drafted = 0, total = 0;
        double depthSum = 0, acceptedSum = 0;
        int identical = 0;
        long agreeing = 0, compared = 0;
        for (int i = 0; i < results.size(); i++) {
            Generator.Result r = results.get(i);
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
            agreeing += commonPrefix(want, r.tokens());
            compared += want.length;
        }
        return new Totals(generated / (nanos / 1e9), depthSum / Math.max(1, total), drafted == 0 ? Double.NaN : acceptedSum / drafted,
                identical, compared == 0 ? Double.NaN : (double) agreeing / compared);
    }

    /** How many leading tokens two outputs share. */
    static int commonPrefix(int[] a, int[] b) {
        int n = 0;
        while (n < Math.min(a.length, b.length) && a[n] == b[n]) n++;
        return n;
    }
}

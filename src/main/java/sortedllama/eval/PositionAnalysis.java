package sortedllama.eval;

import java.util.Arrays;
import java.util.List;
import sortedllama.BadInputException;
import sortedllama.infer.Generator;
import sortedllama.infer.Sampler;
import sortedllama.model.LlamaModel;

/**
 * How far each layer of a model is from a reference model's last layer at each generated position
 * (the paper's Fig. 4 and 5): the reference writes {@code positions} tokens greedily after each
 * prompt (EOS ignored, so every prompt contributes to every position); both models then read the
 * same prompt and continuation, and at the position that predicts generated token p (p = 0 is
 * the prompt's last token) the KL divergence KL(P_ref || P_layer) of the next-token distributions
 * and the cosine of the hidden states (before the final norm) are averaged over the prompts.
 * With the model itself as reference this is the within-model analysis; with another model (SFT's
 * layers against SoFT's last layer) the cross-model one.
 */
public final class PositionAnalysis {

    /**
     * Mean KL (nats) and cosine, {@code kl[layer - 1][position]}; {@code prompts} counted, {@code skipped}
     * left out because the prompt and the continuation do not fit in a context.
     */
    public record Grid(double[][] kl, double[][] cosine, int prompts, int skipped) {
        public int layers() {
            return kl.length;
        }

        public int positions() {
            return kl[0].length;
        }

        /** A layer's mean over the positions. */
        public double meanKl(int layer) {
            return Arrays.stream(kl[layer - 1]).average().orElse(Double.NaN);
        }

        public double meanCosine(int layer) {
            return Arrays.stream(cosine[layer - 1]).average().orElse(Double.NaN);
        }
    }

    private PositionAnalysis() {}

    public static Grid of(LlamaModel reference, LlamaModel model, List<int[]> prompts, int positions) {
        var rc = reference.config();
        var mc = model.config();
        if (rc.dim() != mc.dim() || rc.vocabSize() != mc.vocabSize()) {
            throw new BadInputException("the reference model (dim " + rc.dim() + ", vocabulary " + rc.vocabSize() + ") and the model (dim "
                    + mc.dim() + ", vocabulary " + mc.vocabSize() + ") must have the same width and vocabulary");
        }
        if (positions < 1) throw new BadInputException("positions must be at least 1");
        int layers = mc.nLayers();
        double[][] kl = new double[layers][positions], cosine = new double[layers][positions];
        int used = 0, skipped = 0;
        for (int[] prompt : prompts) {
            int T = prompt.length + positions - 1; // the inputs: the prompt and all generated tokens but the last
            if (Math.min(rc.generationRoom(prompt.length), mc.generationRoom(prompt.length)) < positions) {
                skipped++;
                continue;
            }
            int[] generated = new Generator(reference).generate(prompt, positions, rc.nLayers(), Sampler.greedy(), -1, null).tokens();
            int[] inputs = Arrays.copyOf(prompt, T);
            System.arraycopy(generated, 0, inputs, prompt.length, positions - 1);
            int first = prompt.length - 1; // the position that predicts generated token 0
            float[] refState = rows(lastLayerStates(reference, inputs), first, positions, rc.dim());
            float[] refLogProbs = ExitScorer.logProbs(reference.logits(refState, positions, true, rc.nLayers()), positions, rc.vocabSize());
            accumulate(model, inputs, first, positions, refState, refLogProbs, kl, cosine);
            used++;
        }
        if (used == 0) throw new BadInputException("no prompt leaves room for " + positions + " generated tokens in the context");
        for (int l = 0; l < layers; l++) {
            for (int p = 0; p < positions; p++) {
                kl[l][p] /= used;
                cosine[l][p] /= used;
            }
        }
        return new Grid(kl, cosine, used, skipped);
    }

    private static float[] lastLayerStates(LlamaModel m, int[] inputs) {
        float[] x = m.embed(inputs);
        m.runLayers(m.newCache(inputs.length), x, inputs.length, 0, 0, m.config().nLayers());
        return x;
    }

    /** Adds each layer's KL and cosine at the generated positions to the sums, going up the layers once. */
    private static void accumulate(LlamaModel model, int[] inputs, int first, int positions, float[] refState, float[] refLogProbs,
                                   double[][] kl, double[][] cosine) {
        int dim = model.config().dim(), vocab = model.config().vocabSize(), T = inputs.length;
        var cache = model.newCache(T);
        float[] x = model.embed(inputs);
        for (int layer = 1; layer <= model.config().nLayers(); layer++) {
            model.runLayers(cache, x, T, 0, layer - 1, layer);
            float[] state = rows(x, first, positions, dim);
            float[] logProbs = ExitScorer.logProbs(model.logits(state, positions, true, layer), positions, vocab);
            for (int p = 0; p < positions; p++) {
                kl[layer - 1][p] += ExitScorer.klDivergence(refLogProbs, logProbs, p * vocab, vocab);
                cosine[layer - 1][p] += ExitScorer.cosine(refState, state, p * dim, dim);
            }
        }
    }

    private static float[] rows(float[] x, int from, int count, int dim) {
        return Arrays.copyOfRange(x, from * dim, (from + count) * dim);
    }
}

package sortedllama.eval;

import java.util.Arrays;
import sortedllama.BadInputException;
import sortedllama.model.ExitSet;
import sortedllama.model.KVCache;
import sortedllama.model.LlamaModel;

/**
 * Scores a token sequence at several exits in one pass through the layers: mean next-token
 * cross-entropy at each exit and, against the model's last layer (whether or not it is one of the
 * exits scored), the KL divergence of the next-token distributions and the cosine similarity of
 * the hidden states (the paper's analysis).
 * Sequences longer than the context are scored in consecutive windows.
 */
public final class ExitScorer {

    /**
     * Totals at one exit. {@code klFromLast} is the mean KL(P_last || P_exit) in nats and
     * {@code cosineWithLast} the mean cosine of the exit's hidden state (before the final norm)
     * with the last layer's, over the scored positions; "last" is the model's last layer.
     */
    public record ExitScore(int layer, double loss, double perplexity, long tokens, double klFromLast, double cosineWithLast) {}

    private final LlamaModel model;

    public ExitScorer(LlamaModel model) {
        this.model = model;
    }

    /** Scores ids[1..] given their prefixes (ids[0] is context only) at every exit of {@code exits}. */
    public ExitScore[] score(int[] ids, ExitSet exits) {
        if (ids.length < 2) throw new BadInputException("need at least 2 token ids to score (the first is context only), got " + ids.length);
        int[] layers = exits.layers();
        var sums = new Sums[layers.length];
        for (int e = 0; e < layers.length; e++) sums[e] = new Sums();
        int window = model.config().contextLength();
        // windows overlap by one token so that every id after the first is predicted exactly once
        for (int start = 0; start < ids.length - 1; start += window - 1) {
            int end = Math.min(ids.length, start + window);
            scoreWindow(Arrays.copyOfRange(ids, start, end), layers, sums);
        }
        var out = new ExitScore[layers.length];
        for (int e = 0; e < layers.length; e++) {
            Sums s = sums[e];
            double loss = s.crossEntropy / s.tokens;
            out[e] = new ExitScore(layers[e], loss, Math.exp(loss), s.tokens, s.kl / s.tokens, s.cosine / s.tokens);
        }
        return out;
    }

    private static final class Sums {
        double crossEntropy, kl, cosine;
        long tokens;
    }

    private void scoreWindow(int[] ids, int[] layers, Sums[] sums) {
        int T = ids.length - 1, dim = model.config().dim(), vocab = model.config().vocabSize();
        int[] inputs = Arrays.copyOf(ids, T);
        KVCache cache = model.newCache(T);
        float[] x = model.embed(inputs);
        float[][] states = new float[layers.length][];
        int done = 0;
        for (int e = 0; e < layers.length; e++) {
            model.runLayers(cache, x, T, 0, done, layers[e]);
            done = layers[e];
            states[e] = x.clone();
        }
        // the reference is the whole model, even when the deepest exit scored is shallower
        int depth = model.config().nLayers();
        model.runLayers(cache, x, T, 0, done, depth);
        float[] lastLogProbs = logProbs(model.logits(x, T, true, depth), T, vocab);
        for (int e = 0; e < layers.length; e++) {
            float[] logProbs = layers[e] == depth ? lastLogProbs : logProbs(model.logits(states[e], T, true, layers[e]), T, vocab);
            for (int t = 0; t < T; t++) {
                int row = t * vocab;
                sums[e].crossEntropy -= logProbs[row + ids[t + 1]];
                sums[e].kl += klDivergence(lastLogProbs, logProbs, row, vocab);
                sums[e].cosine += cosine(x, states[e], t * dim, dim);
                sums[e].tokens++;
            }
        }
    }

    /** Row-wise log-softmax of T rows of logits. */
    static float[] logProbs(float[] logits, int T, int vocab) {
        float[] out = new float[logits.length];
        for (int t = 0; t < T; t++) {
            int row = t * vocab;
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < vocab; i++) max = Math.max(max, logits[row + i]);
            double sum = 0;
            for (int i = 0; i < vocab; i++) sum += Math.exp(logits[row + i] - max);
            double logZ = max + Math.log(sum);
            for (int i = 0; i < vocab; i++) out[row + i] = (float) (logits[row + i] - logZ);
        }
        return out;
    }

    /** KL(P || Q) = sum P log(P / Q) for one row of log-probabilities, in nats. */
    static double klDivergence(float[] logP, float[] logQ, int off, int n) {
        double kl = 0;
        for (int i = 0; i < n; i++) {
            double p = Math.exp(logP[off + i]);
            if (p > 0) kl += p * (logP[off + i] - logQ[off + i]);
        }
        return Math.max(0, kl); // rounding can leave -1e-9 for identical rows
    }

    static double cosine(float[] a, float[] b, int off, int n) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < n; i++) {
            dot += (double) a[off + i] * b[off + i];
            na += (double) a[off + i] * a[off + i];
            nb += (double) b[off + i] * b[off + i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
    }
}

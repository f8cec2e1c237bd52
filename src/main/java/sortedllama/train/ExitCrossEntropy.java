package sortedllama.train;

import java.util.Arrays;
import sortedllama.model.LlamaConfig;
import sortedllama.tensor.Parallel;

/**
 * One exit's cross-entropy, forward and backward: the exit's head (final RMSNorm and output
 * matrix, the shared ones or under SFT+ICT the exit's own, {@link TrainableModel.ExitHeadParams})
 * on the residual stream after k layers, then softmax cross-entropy on the counted targets. Nothing downstream depends on an
 * exit, so its backward runs right after its forward, and the logits never exist for all tokens
 * at once: they go through in chunks of tokens ({@value #CHUNK_FLOATS} floats at most), each
 * turned into its gradient in place and multiplied back through the output matrix.
 */
final class ExitCrossEntropy {
    private static final int CHUNK_FLOATS = 1 << 24;

    private final float[] normed, rstd, dNormed, logits;
    private final double[] tokenLoss;
    private final int chunk;

    ExitCrossEntropy(LlamaConfig c, int tokens) {
        normed = new float[tokens * c.dim()];
        rstd = new float[tokens];
        dNormed = new float[tokens * c.dim()];
        chunk = Math.max(1, Math.min(tokens, CHUNK_FLOATS / c.vocabSize()));
        logits = new float[chunk * c.vocabSize()];
        tokenLoss = new double[tokens];
    }

    /**
     * Mean cross-entropy over the batch's counted targets of the exit whose residual stream is
     * {@code h}. When {@code backward}, also adds {@code weight} times its gradient to the final
     * norm's and head's gradients (unless frozen) and, if {@code dh} is not null, to dh.
     */
    double run(TrainableModel m, int exit, float[] h, Batch batch, float weight, boolean backward, float[] dh) {
        LlamaConfig c = m.config;
        int n = batch.positions(), dim = c.dim(), vocab = c.vocabSize(), counted = batch.countedTargets();
        if (counted == 0) return 0;
        float scale = weight / counted;
        Param output = m.outputFor(exit), norm = m.normFor(exit);
        float[] w = output.value(), dw = backward ? output.gradOrNull() : null;
        boolean needDNormed = backward && (dh != null || norm.trainable());
        RmsNorm.forward(normed, rstd, h, norm.value(), n, c.normEps());
        for (int t0 = 0; t0 < n; t0 += chunk) {
            int first = t0, rows = Math.min(chunk, n - t0);
            Gemm.gemm(false, true, rows, vocab, dim, normed, first * dim, dim, w, 0, dim, 0f, logits, 0, vocab);
            Parallel.forRange(rows, 8, (from, to) -> {
                for (int r = from; r < to; r++) {
                    int t = first + r;
                    if (batch.lossMask()[t]) {
                        tokenLoss[t] = CrossEntropy.lossAndGradient(logits, r * vocab, vocab, batch.targets()[t], scale);
                    } else {
                        tokenLoss[t] = 0;
                        Arrays.fill(logits, r * vocab, (r + 1) * vocab, 0f); // no gradient from this position
                    }
                }
            });
            // logits now hold dLoss/dlogits: back through the head
            if (needDNormed) Gemm.gemm(false, false, rows, dim, vocab, logits, 0, vocab, w, 0, dim, 0f, dNormed, first * dim, dim);
            if (dw != null) Gemm.gemm(true, false, vocab, dim, rows, logits, 0, vocab, normed, first * dim, dim, 1f, dw, 0, dim);
        }
        if (needDNormed) RmsNorm.backward(dh, norm.gradOrNull(), dNormed, h, norm.value(), rstd, n);
        double sum = 0;
        for (int t = 0; t < n; t++) sum += tokenLoss[t]; // in order: reproducible
        return sum / counted;
    }

    /** The logits [tokens, vocab] of every position of residual stream {@code h} (evaluation, tests). */
    float[] logits(TrainableModel m, int exit, float[] h, int tokens) {
        LlamaConfig c = m.config;
        RmsNorm.forward(normed, rstd, h, m.normFor(exit).value(), tokens, c.normEps());
        float[] out = new float[tokens * c.vocabSize()];
        Gemm.gemm(false, true, tokens, c.vocabSize(), c.dim(), normed, 0, c.dim(), m.outputFor(exit).value(), 0, c.dim(), 0f, out, 0, c.vocabSize());
        return out;
    }
}

package sortedllama.train;

import sortedllama.tensor.Vec;

/** Softmax cross-entropy of one row of logits against a target id, fused with its gradient. */
final class CrossEntropy {
    private CrossEntropy() {}

    /**
     * Returns -log softmax(logits)[target] and turns the row, in place, into the gradient of
     * {@code scale} times that loss: scale * (softmax - onehot(target)).
     */
    static double lossAndGradient(float[] logits, int off, int vocab, int target, float scale) {
        float max = Vec.max(logits, off, vocab);
        float targetLogit = logits[off + target];
        float sum = Vec.expShiftedAndSum(logits, off, vocab, max);
        // StrictMath: the same bits in every JIT tier
        double loss = max + StrictMath.log(sum) - targetLogit;
        Vec.scale(logits, off, vocab, scale / sum);
        logits[off + target] -= scale;
        return loss;
    }
}

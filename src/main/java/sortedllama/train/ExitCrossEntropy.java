package sortedllama.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import sortedllama.model.LlamaConfig;
import sortedllama.tensor.Parallel;

/**
 * The exits' cross-entropies, forward and backward, fused: each exit's head (final RMSNorm and
 * output matrix, the shared ones or under SFT+ICT the exit's own, {@link TrainableModel.ExitHeadParams})
 * on the residual stream after k layers, then softmax cross-entropy on the counted targets.
 *
 * <p>Nothing downstream depends on an exit, so all exits run at once once the trunk's forward has
 * kept every residual stream ({@link #run}). The normed streams of the exits that share an output
 * matrix are stacked, [exits * tokens, dim], and go through the head in chunks of rows: one product
 * gives a chunk's logits [rows, vocab], which are turned into their gradient in place and multiplied
 * back through the head, once for the gradient w.r.t. the normed rows and once for the head's own,
 * summed over all the exits' rows in that one product. A chunk may end inside an exit's rows and the
 * next carry on into the next exit's. So the logits buffer is one chunk ({@code chunkFloats} floats at
 * most) whatever the number of exits and tokens; per exit, only the normed rows and their gradient
 * stay (2 x tokens x dim floats), and the backward walk turns the latter into the gradient w.r.t.
 * the residual stream on reaching the exit's layer ({@link #backward}).
 */
final class ExitCrossEntropy {
    /** The logits buffer's budget: 64 MiB, 524 rows at a vocabulary of 32,000. */
    static final int CHUNK_FLOATS = 1 << 24;

    private final int tokens, dim, vocab, chunkRows;
    private final float eps;
    /** One chunk of logits [min(chunkRows, all exits' rows), vocab], turned into dLoss/dlogits in place. */
    private float[] logits = new float[0];
    /** The stacked rows, slot s holding one exit's tokens: [slots * tokens, dim], [slots * tokens, dim], [slots * tokens]. */
    private float[] normed = new float[0], dNormed = new float[0], rstd = new float[0];
    /** Loss of each stacked row, summed per exit in token order: the same bits whatever the threading. */
    private double[] rowLoss = new double[0];
    /** slotOf[i]: the slot of the last {@link #run}'s i-th exit; exits sharing an output matrix have adjacent slots. */
    private int[] slotOf = new int[0];
    /** Whether the last run left gradients for {@link #backward} (not when evaluating, nor without counted targets). */
    private boolean gradientsKept;

    /** With a logits buffer of {@code chunkFloats} floats (at least one row: tests use small ones). */
    ExitCrossEntropy(LlamaConfig c, int tokens, int chunkFloats) {
        this.tokens = tokens;
        this.dim = c.dim();
        this.vocab = c.vocabSize();
        this.eps = c.normEps();
        this.chunkRows = Math.max(1, chunkFloats / vocab);
    }

    /** Bytes of the logits buffer (one chunk, shared by all exits). */
    long logitsBytes() {
        return 4L * logits.length;
    }

    /** Bytes kept per exit between forward and backward: normed rows, their gradient, rstd and row losses. */
    long bytesPerExit() {
        return (4L * 2 * dim + 4 + 8) * tokens;
    }

    /**
     * Every exit's forward and, when {@code backward}, the head's part of its backward: returns the mean
     * cross-entropy over the counted targets per exit of {@code objective} ({@code residual[k]} is
     * the stream after k layers). With {@code backward}, adds {@code gradScale} x weight_i times the
     * gradient of exit i's loss to its output matrix's gradient (unless frozen) and keeps the gradient
     * w.r.t. its normed rows for {@link #backward}.
     */
    double[] run(TrainableModel m, ExitObjective objective, float[][] residual, Batch batch, float gradScale, boolean backward) {
        int[] exits = objective.exits();
        int counted = batch.countedTargets();
        double[] perExit = new double[exits.length];
        gradientsKept = backward && counted > 0;
        if (counted == 0) return perExit;
        reserve(exits.length);
        int lowest = backward ? m.lowestLayerNeedingGradient() : Integer.MAX_VALUE;
        // slots: the exits grouped by output matrix, so that one product serves each group
        List<Param> outputs = new ArrayList<>();
        for (int k : exits) if (!outputs.contains(m.outputFor(k))) outputs.add(m.outputFor(k));
        float[] scale = new float[exits.length]; // by slot
        int slot = 0;
        for (Param output : outputs) {
            int first = slot;
            boolean needDNormed = false;
            for (int i = 0; i < exits.length; i++) {
                int k = exits[i];
                if (m.outputFor(k) != output) continue;
                slotOf[i] = slot;
                scale[slot] = (float) (objective.weights()[i] * gradScale) / counted;
                RmsNorm.forward(normed, rstd, slot * tokens, residual[k], m.normFor(k).value(), tokens, eps);
                needDNormed |= k - 1 >= lowest || m.normFor(k).trainable(); // the walk or the norm needs it
                slot++;
            }
            headRows(output, first, slot, scale, batch, backward && needDNormed, backward ? output.gradOrNull() : null);
        }
        for (int i = 0; i < exits.length; i++) {
            double sum = 0;
            for (int t = 0, row = slotOf[i] * tokens; t < tokens; t++) sum += rowLoss[row + t]; // in order: reproducible
            perExit[i] = sum / counted;
        }
        return perExit;
    }

    /**
     * Slots [firstSlot, endSlot) through output matrix W [vocab, dim], chunk by chunk: logits, losses
     * and dLoss/dlogits, then (when asked) dNormed = dlogits · W and dW += dlogits^T · normed.
     */
    private void headRows(Param output, int firstSlot, int endSlot, float[] scale, Batch batch, boolean needDNormed, float[] dw) {
        float[] w = output.value();
        int end = endSlot * tokens;
        for (int row0 = firstSlot * tokens; row0 < end; row0 += chunkRows) {
            int first = row0, rows = Math.min(chunkRows, end - row0);
            // logits [rows, vocab] = normed [rows, dim] · W^T
            Gemm.gemm(false, true, rows, vocab, dim, normed, first * dim, dim, w, 0, dim, 0f, logits, 0, vocab);
            Parallel.forRange(rows, 8, (from, to) -> {
                for (int r = from; r < to; r++) {
                    int row = first + r, t = row % tokens;
                    if (batch.lossMask()[t]) {
                        rowLoss[row] = CrossEntropy.lossAndGradient(logits, r * vocab, vocab, batch.targets()[t], scale[row / tokens]);
                    } else {
                        rowLoss[row] = 0;
                        Arrays.fill(logits, r * vocab, (r + 1) * vocab, 0f); // no gradient from this position
                    }
                }
            });
            // logits now hold dLoss/dlogits [rows, vocab]: back through the head
            if (needDNormed) Gemm.gemm(false, false, rows, dim, vocab, logits, 0, vocab, w, 0, dim, 0f, dNormed, first * dim, dim);
            if (dw != null) Gemm.gemm(true, false, vocab, dim, rows, logits, 0, vocab, normed, first * dim, dim, 1f, dw, 0, dim);
        }
    }

    /**
     * The rest of the last {@link #run}'s backward for its {@code i}-th exit (layer k, residual stream
     * {@code h}): through the exit's final norm, adding to the norm's gradient (unless frozen) and to
     * {@code dh} (unless null). Nothing when that run kept no gradients.
     */
    void backward(TrainableModel m, int i, int k, float[] h, float[] dh) {
        if (!gradientsKept) return;
        Param norm = m.normFor(k);
        if (dh == null && !norm.trainable()) return; // run() skipped dNormed then
        RmsNorm.backward(dh, norm.gradOrNull(), dNormed, slotOf[i] * tokens, h, norm.value(), rstd, tokens);
    }

    /** Grows the stacked buffers to {@code exits} slots (exit sampling may vary their number). */
    private void reserve(int exits) {
        if (slotOf.length >= exits) return;
        int floats = Math.multiplyExact(exits * tokens, dim); // every index of the stacked rows then fits an int
        normed = new float[floats];
        dNormed = new float[floats];
        rstd = new float[exits * tokens];
        rowLoss = new double[exits * tokens];
        slotOf = new int[exits];
        logits = null; // let the old one go first
        logits = new float[Math.min(chunkRows, exits * tokens) * vocab];
    }

    /** The logits [tokens, vocab] of every position of residual stream {@code h} (evaluation, tests). */
    float[] logits(TrainableModel m, int exit, float[] h) {
        reserve(1);
        RmsNorm.forward(normed, rstd, h, m.normFor(exit).value(), tokens, eps);
        float[] out = new float[tokens * vocab];
        Gemm.gemm(false, true, tokens, vocab, dim, normed, 0, dim, m.outputFor(exit).value(), 0, dim, 0f, out, 0, vocab);
        return out;
    }
}

package sortedllama.train;

import java.util.List;
import sortedllama.tensor.Parallel;
import sortedllama.tensor.Vec;

/** Whole-model operations on gradients: the global norm and clipping by it. */
public final class Gradients {
    private Gradients() {}

    /**
     * sqrt of the sum of squares of the trainable parameters' gradients, in double. Each
     * parameter's sum is computed alone and the sums are added in list order: reproducible.
     */
    public static double globalNorm(List<Param> params) {
        double[] partial = new double[params.size()];
        Parallel.forRange(params.size(), 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                if (!params.get(i).trainable()) continue;
                double s = 0;
                for (float g : params.get(i).grad()) s += (double) g * g;
                partial[i] = s;
            }
        });
        double total = 0;
        for (double s : partial) total += s;
        return Math.sqrt(total);
    }

    /**
     * Scales the gradients so that their global norm is at most {@code maxNorm} (as PyTorch's
     * clip_grad_norm_: by maxNorm / (norm + 1e-6) when that is below 1); maxNorm <= 0 or
     * infinite turns clipping off. Returns the norm before clipping.
     */
    public static double clipGlobalNorm(List<Param> params, double maxNorm) {
        double norm = globalNorm(params);
        if (maxNorm > 0 && Double.isFinite(maxNorm)) {
            double coef = maxNorm / (norm + 1e-6);
            if (coef < 1) {
                float f = (float) coef;
                for (Param p : params) if (p.trainable()) Vec.scale(p.grad(), 0, p.size(), f);
            }
        }
        return norm;
    }
}

package sortedllama.train;

import sortedllama.tensor.Ops;
import sortedllama.tensor.Parallel;
import sortedllama.tensor.Vec;

/**
 * RMSNorm per token: out = w * x * rstd, rstd = 1 / sqrt(mean(x^2) + eps). The forward is
 * inference's kernel ({@link Ops#rmsNorm}) in training's summation order, keeping rstd (one
 * float per token) for the backward.
 */
final class RmsNorm {
    private RmsNorm() {}

    static void forward(float[] out, float[] rstd, float[] x, float[] w, int tokens, float eps) {
        forward(out, rstd, 0, x, w, tokens, eps);
    }

    /** The same with out's and rstd's rows from row {@code outRow} on (the exits' rows stacked, {@link ExitCrossEntropy}). */
    static void forward(float[] out, float[] rstd, int outRow, float[] x, float[] w, int tokens, float eps) {
        Ops.rmsNorm(out, rstd, outRow, x, w, tokens, eps, Vec.SumOrder.IN_ORDER);
    }

    /**
     * dx += dOut · d(out)/dx and dw += dOut · d(out)/dw; either is skipped when null (not needed,
     * frozen). With g = w * dOut: dx = rstd * (g - x * rstd^2 * mean(g * x)).
     */
    static void backward(float[] dx, float[] dw, float[] dOut, float[] x, float[] w, float[] rstd, int tokens) {
        backward(dx, dw, dOut, 0, x, w, rstd, tokens);
    }

    /** The same with dOut's and rstd's rows from row {@code outRow} on, as {@link #forward(float[], float[], int, float[], float[], int, float)} wrote them. */
    static void backward(float[] dx, float[] dw, float[] dOut, int outRow, float[] x, float[] w, float[] rstd, int tokens) {
        int n = w.length;
        if (dx != null) Parallel.forRange(tokens, 64, (from, to) -> {
            float[] g = new float[n];
            for (int t = from; t < to; t++) {
                int off = t * n, outOff = (outRow + t) * n;
                for (int i = 0; i < n; i++) g[i] = w[i] * dOut[outOff + i];
                float r = rstd[outRow + t];
                float k = Vec.dotInOrder(g, 0, x, off, n) * (r * r / n);
                for (int i = 0; i < n; i++) dx[off + i] += r * (g[i] - x[off + i] * k);
            }
        });
        if (dw == null) return;
        // split over columns, not tokens: each column then sums its tokens in order, whatever the threading
        Parallel.forRange(n, 16, (from, to) -> {
            for (int t = 0; t < tokens; t++) {
                int off = t * n, outOff = (outRow + t) * n;
                float r = rstd[outRow + t];
                for (int i = from; i < to; i++) dw[i] = Math.fma(dOut[outOff + i] * r, x[off + i], dw[i]);
            }
        });
    }
}

package sortedllama.tensor;

/** Small element-wise kernels of the forward pass, on float arrays holding one vector per token. */
public final class Ops {
    private Ops() {}

    /**
     * RMSNorm, inference's and training's: out[t] = weight * x[t] * rstd[t] with rstd[t] = 1 / sqrt(mean(x[t]^2) + eps),
     * for each of {@code tokens} vectors of size weight.length; rstd (one float per token) is kept for training's
     * backward when the array is given. The sum of squares follows {@code order}: {@link Vec.SumOrder#TREE} for inference,
     * {@link Vec.SumOrder#IN_ORDER} for training (see {@link Vec}). Tokens are split over the cores; each token's result
     * does not depend on the split.
     */
    public static void rmsNorm(float[] out, float[] rstd, float[] x, float[] weight, int tokens, float eps, Vec.SumOrder order) {
        rmsNorm(out, rstd, 0, x, weight, tokens, eps, order);
    }

    /** The same, writing out's and rstd's rows from row {@code outRow} on (training stacks several exits' rows in one array). */
    public static void rmsNorm(float[] out, float[] rstd, int outRow, float[] x, float[] weight, int tokens, float eps, Vec.SumOrder order) {
        int n = weight.length;
        Parallel.forRange(tokens, 64, (from, to) -> {
            for (int t = from; t < to; t++) {
                int off = t * n, outOff = (outRow + t) * n;
                float ss = Vec.dot(x, off, x, off, n, order);
                float r = (float) (1.0 / Math.sqrt(ss / n + eps));
                if (rstd != null) rstd[outRow + t] = r;
                for (int i = 0; i < n; i++) out[outOff + i] = weight[i] * (r * x[off + i]);
            }
        });
    }

    /** Element-wise work below this many values per thread stays on the calling thread (a decoding step's vectors). */
    public static final int MIN_PER_THREAD = 1 << 14;

    /** x[i] += y[i] for the first n values: the residual connection (on the cores for a prefill's rows; the same bits). */
    public static void addInPlace(float[] x, float[] y, int n) {
        Parallel.forRange(n, MIN_PER_THREAD, (from, to) -> Vec.axpy(1f, y, from, x, from, to - from));
    }

    /**
     * Values per thread below which SwiGLU stays on the calling thread: its exponential costs several
     * times an addition, so a batch of a few decoding steps (8 x 2048 values) is worth sharing out.
     */
    private static final int MIN_SWIGLU_PER_THREAD = 1 << 12;

    /** out[i] = silu(gate[i]) * up[i] for the first n values ({@link Vec#swiglu}), on the cores for several rows; the same bits. */
    public static void swiglu(float[] out, float[] gate, float[] up, int n) {
        Parallel.forRange(n, MIN_SWIGLU_PER_THREAD, (from, to) -> Vec.swiglu(out, gate, up, from, to));
    }
}

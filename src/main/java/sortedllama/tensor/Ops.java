package sortedllama.tensor;

/** Small element-wise kernels of the forward pass, on float arrays holding one vector per token. */
public final class Ops {
    private Ops() {}

    /** out[t] = x[t] / rms(x[t]) * weight, for each of {@code tokens} vectors of size weight.length. */
    public static void rmsNorm(float[] out, float[] x, float[] weight, int tokens, float eps) {
        int n = weight.length;
        for (int t = 0; t < tokens; t++) {
            int off = t * n;
            float ss = WeightRows.dot(x, off, x, off, n);
            float scale = (float) (1.0 / Math.sqrt(ss / n + eps));
            for (int i = 0; i < n; i++) out[off + i] = weight[i] * (scale * x[off + i]);
        }
    }

    /** x[i] += y[i] for the first n values: the residual connection. */
    public static void addInPlace(float[] x, float[] y, int n) {
        Vec.axpy(1f, y, 0, x, 0, n);
    }
}

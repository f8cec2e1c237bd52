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

    /** In-place softmax over x[off .. off+n). */
    public static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        float sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int i = 0; i < n; i++) x[off + i] *= inv;
    }

    /** gate[i] = silu(gate[i]) * up[i] for the first n values: SwiGLU's gating. */
    public static void swiglu(float[] gate, float[] up, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }

    /** x[i] += y[i] for the first n values: the residual connection. */
    public static void addInPlace(float[] x, float[] y, int n) {
        WeightRows.axpy(1f, y, 0, x, 0, n);
    }
}

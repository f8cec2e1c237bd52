package sortedllama.train;

/**
 * A bias-free linear layer y = x · W^T, W stored [out, in] as in the model files, activations
 * one row per token; all three products on OpenBLAS.
 */
final class Linear {
    private Linear() {}

    static void forward(float[] y, float[] x, Param w, int tokens) {
        int out = w.rows(), in = w.cols();
        Gemm.gemm(false, true, tokens, out, in, x, 0, in, w.value(), 0, in, 0f, y, 0, out);
    }

    /**
     * dx = dy · W (or dx += when {@code accumulate}: several projections read the same input) and,
     * unless W is frozen, dW += dy^T · x.
     */
    static void backward(float[] dx, boolean accumulate, float[] dy, float[] x, Param w, int tokens) {
        int out = w.rows(), in = w.cols();
        Gemm.gemm(false, false, tokens, in, out, dy, 0, out, w.value(), 0, in, accumulate ? 1f : 0f, dx, 0, in);
        float[] dw = w.gradOrNull();
        if (dw != null) Gemm.gemm(true, false, out, in, tokens, dy, 0, out, x, 0, in, 1f, dw, 0, in);
    }
}

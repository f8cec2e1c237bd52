package sortedllama.train;

/**
 * A bias-free linear layer y = x · W^T, W stored [out, in] as in the model files, activations
 * one row per token; all products through {@link Gemm} (float32 or BF16). W is float32 (full
 * fine-tuning) or a frozen matrix kept in its stored type ({@link StoredMatrix}); under LoRA a
 * {@link LoraAdapter} adds its low-rank term on top of either.
 */
final class Linear {
    private Linear() {}

    static void forward(float[] y, float[] x, Param w, int tokens) {
        int out = w.rows(), in = w.cols();
        if (w.storedTensor() != null) StoredMatrix.forward(y, x, w.storedTensor(), tokens);
        else Gemm.gemm(false, true, tokens, out, in, x, 0, in, w.value(), 0, in, 0f, y, 0, out);
        if (w.adapter() != null) w.adapter().forward(y, x, tokens);
    }

    /**
     * dx = dy · W (or dx += when {@code accumulate}: several projections read the same input) and,
     * unless W is frozen, dW += dy^T · x; an adapter adds its own part of dx and its gradients.
     */
    static void backward(float[] dx, boolean accumulate, float[] dy, float[] x, Param w, int tokens) {
        int out = w.rows(), in = w.cols();
        if (w.storedTensor() != null) {
            StoredMatrix.backward(dx, accumulate, dy, w.storedTensor(), tokens);
        } else {
            Gemm.gemm(false, false, tokens, in, out, dy, 0, out, w.value(), 0, in, accumulate ? 1f : 0f, dx, 0, in);
            float[] dw = w.gradOrNull();
            if (dw != null) Gemm.gemm(true, false, out, in, tokens, dy, 0, out, x, 0, in, 1f, dw, 0, in);
        }
        if (w.adapter() != null) w.adapter().backward(dx, dy, x, tokens);
    }
}

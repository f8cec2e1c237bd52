package sortedllama.train;

/**
 * The arithmetic of training's matrix products ({@link Gemm}). Everything else is float32 either way:
 * master weights, AdamW's moments, norms, softmax, losses, and the attention products.
 */
public enum Precision {
    /** float32 operands and sums (OpenBLAS's sgemm). */
    F32,
    /**
     * Operands rounded to BF16 (to nearest even) per product, sums in float32 (AMX tiles, {@link
     * sortedllama.tensor.Bf16Gemm}); frozen F16/BF16 base matrices are read in their stored type.
     */
    BF16
}

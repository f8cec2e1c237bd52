package sortedllama.train;

import sortedllama.BadInputException;
import sortedllama.tensor.Bf16Gemm;

/**
 * The arithmetic of training's matrix products ({@link Gemm}). Everything else is float32 either way:
 * master weights, AdamW's moments, norms, softmax, losses, and the attention products.
 */
public enum Precision {
    /** float32 operands and sums (OpenBLAS's sgemm). */
    F32,
    /**
     * Operands rounded to BF16 (to nearest even) per product, sums in float32 (AMX tiles, {@link
     * Bf16Gemm}); frozen F16/BF16 base matrices are read in their stored type.
     */
    BF16;

    /** Refuses BF16 on a machine that cannot compute it (exit code 2 from the commands). */
    public void requireAvailable() {
        if (this == BF16 && !Bf16Gemm.available()) throw new BadInputException("--precision bf16 is not available here: " + Bf16Gemm.why());
    }
}

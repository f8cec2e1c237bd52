package sortedllama.train;

import sortedllama.tensor.Dequantize;
import sortedllama.tensor.Parallel;
import sortedllama.tensor.Tensor;

/**
 * The two products of a frozen projection whose weights stay in their stored type (BF16, F16,
 * Q8_0..., see {@link Param#storedTensor()}): y = x · W^T forward and dx = dy · W backward (no
 * dW: it is frozen). W is decoded a block of rows at a time into a small float32 scratch and
 * multiplied on OpenBLAS from there, so no float32 copy of any whole matrix is ever held: memory
 * for the base stays at its stored size, plus one scratch of {@value #BLOCK_FLOATS} floats per
 * training thread.
 *
 * <p>The blocks depend on the matrix's shape only, so results are reproducible; they differ in
 * the last bits from one product over the whole float32 matrix (the sums are cut differently).
 *
 * <p>Under {@link Precision#BF16} a BF16 or F16 (or F32) matrix is not decoded at all: the BF16
 * product reads it as stored ({@link Gemm#bf16}). Quantized types are decoded as above, and their
 * blocks then rounded to BF16 by the product.
 */
final class StoredMatrix {
    /** Floats decoded at a time: 16 MiB, large enough that each block's product runs at full speed. */
    static final int BLOCK_FLOATS = 1 << 22;
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    private StoredMatrix() {}

    /** y[tokens, out] = x[tokens, in] · W^T: each block of W's rows gives the same block of y's columns. */
    static void forward(float[] y, float[] x, Tensor w, int tokens) {
        int out = w.rows(), in = w.cols(), step = blockRows(w);
        if (readAsStored(w)) {
            Gemm.bf16(false, tokens, out, in, x, 0, in, w.type(), w.data(), in, true, 0f, y, 0, out);
            return;
        }
        float[] block = scratch(step * in);
        for (int r0 = 0; r0 < out; r0 += step) {
            int rows = Math.min(step, out - r0);
            decode(w, r0, rows, block);
            Gemm.gemm(false, true, tokens, rows, in, x, 0, in, block, 0, in, 0f, y, r0, out);
        }
    }

    /** dx[tokens, in] = dy[tokens, out] · W, or dx += when {@code accumulate}: a sum over W's blocks of rows. */
    static void backward(float[] dx, boolean accumulate, float[] dy, Tensor w, int tokens) {
        int out = w.rows(), in = w.cols(), step = blockRows(w);
        if (readAsStored(w)) {
            Gemm.bf16(false, tokens, in, out, dy, 0, out, w.type(), w.data(), in, false, accumulate ? 1f : 0f, dx, 0, in);
            return;
        }
        float[] block = scratch(step * in);
        for (int r0 = 0; r0 < out; r0 += step) {
            int rows = Math.min(step, out - r0);
            decode(w, r0, rows, block);
            float beta = accumulate || r0 > 0 ? 1f : 0f;
            Gemm.gemm(false, false, tokens, in, rows, dy, r0, out, block, 0, in, beta, dx, 0, in);
        }
    }

    /** All of W as float32 (for merging an adapter into it). */
    static float[] decodeAll(Tensor w) {
        float[] all = new float[Math.toIntExact(w.elementCount())];
        decode(w, 0, w.rows(), all);
        return all;
    }

    /** Whether the product reads W as stored: BF16 products of a float type, which they take as it is. */
    private static boolean readAsStored(Tensor w) {
        return Gemm.precision() == Precision.BF16 && !w.type().isQuantized();
    }

    private static int blockRows(Tensor w) {
        return Math.max(1, Math.min(w.rows(), BLOCK_FLOATS / w.cols()));
    }

    /** Rows r0..r0+rows of W into {@code dst}, row-major, decoded in parallel (this is a scalar loop). */
    private static void decode(Tensor w, int r0, int rows, float[] dst) {
        int cols = w.cols();
        Parallel.forRange(rows, 16, (from, to) -> {
            for (int r = from; r < to; r++) Dequantize.row(w, r0 + r, dst, r * cols);
        });
    }

    private static float[] scratch(int floats) {
        float[] s = SCRATCH.get();
        if (s.length < floats) {
            s = new float[floats];
            SCRATCH.set(s);
        }
        return s;
    }
}

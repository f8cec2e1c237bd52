package sortedllama.train;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import sortedllama.tensor.Bf16Gemm;
import sortedllama.tensor.Blas;
import sortedllama.tensor.DType;
import sortedllama.tensor.Parallel;
import sortedllama.tensor.Vec;

/**
 * Matrix products of training, C = op(A)·op(B) + beta·C on heap float arrays (passed to the native
 * code without copies: a critical downcall pins them), with either operand transposed: weight
 * gradients need A^T·B, which {@link Blas#sgemm} does not offer. In the {@link Precision} bound to
 * {@link #PRECISION} (float32 when none is): float32 on OpenBLAS, or BF16 operands with float32 sums on
 * AMX tiles ({@link Bf16Gemm}).
 *
 * <p>Threads: OpenBLAS's own workers keep spinning for a long time after each product, and on
 * a machine with few cores they steal the cores from the Java kernels that run in between
 * (attention ran at half speed). So OpenBLAS runs single-threaded ({@link Blas} sets it so), and
 * the product is cut into tiles that {@link Parallel}'s workers hand to OpenBLAS one by one. BF16
 * products are cut into the same tiles (their columns starting at multiples of 32, the kernel's
 * pairs of strips), after op(B) is packed once for all of them.
 *
 * <p>Reproducibility: the tiles depend on the shapes only, never on the number of threads, and
 * a tile is always computed by the same single-threaded call, so every product gives the same
 * bits whatever the threading. Tiles cut C into blocks of rows and columns; a product with a
 * small C and a long inner dimension (a weight gradient summed over many tokens) is instead cut
 * along the inner dimension, and the partial products are added in a fixed order.
 */
final class Gemm {
    /** Tile sizes: large enough that packing operands per tile costs little. */
    static final int TILE_ROWS = 256, TILE_COLS = 4096, TILE_INNER = 1024;
    /**
     * BF16's tiles have fewer columns: op(B) is packed once for all tiles, so a tile packs only its rows
     * of op(A), and more tiles keep both cores busy on products of a few hundred tokens. (Its results do
     * not depend on the tiles: the kernel sums each element in one fixed order.)
     */
    static final int BF16_TILE_COLS = 512;
    /** The precision of the products made while it is bound (a training pass binds its own). */
    static final ScopedValue<Precision> PRECISION = ScopedValue.newInstance();

    private Gemm() {}

    static Precision precision() {
        return PRECISION.orElse(Precision.F32);
    }

    /**
     * C[m,n] = op(A)·op(B) + beta·C, row-major, where op(A) is [m,k] (A stored [k,m] when
     * transA) and op(B) is [k,n] (B stored [n,k] when transB). Offsets are in floats.
     */
    static void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        if (precision() == Precision.BF16) {
            bf16(transA, m, n, k, a, aOff, lda, DType.F32, slice(b, bOff), ldb, transB, beta, c, cOff, ldc);
            return;
        }
        blocks(m, n, k, TILE_COLS, 1, beta, c, cOff, ldc, (r0, rows, c0, cols, k0, len, blockBeta, out, outOff, outLd) ->
                tile(transA, transB, rows, cols, len, 1f, a, aOff + offset(transA, r0, k0, lda), lda,
                        b, bOff + offset(!transB, c0, k0, ldb), ldb, blockBeta, out, outOff, outLd)); // element (c0, k0) of op(B)^T
    }

    /**
     * The same product in BF16 whatever {@link #PRECISION} says, with op(B) read from {@code b} in its own
     * type (F32, F16 or BF16: a frozen base matrix is multiplied as stored, without a float32 copy).
     */
    static void bf16(boolean transA, int m, int n, int k, float[] a, int aOff, int lda,
                     DType bType, MemorySegment b, int ldb, boolean transB, float beta, float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0) return;
        int[] packed = Bf16Gemm.packB(bType, b, ldb, transB, k, n);
        long strip = Bf16Gemm.stripWords(k);
        blocks(m, n, k, BF16_TILE_COLS, 2 * Bf16Gemm.STRIP, beta, c, cOff, ldc, (r0, rows, c0, cols, k0, len, blockBeta, out, outOff, outLd) ->
                Bf16Gemm.gemm(transA, rows, cols, len, slice(a, aOff + offset(transA, r0, k0, lda)), lda,
                        packed, c0 / Bf16Gemm.STRIP * strip + k0 / 2 * 16L, strip, blockBeta, slice(out, outOff), outLd));
    }

    /** Where element (i, p) of op(X) is, op(X) [.., k] stored as it is or, when {@code transposed}, [k, ..]. */
    private static int offset(boolean transposed, int i, int p, int ld) {
        return transposed ? p * ld + i : i * ld + p;
    }

    /**
     * One block of C's product: rows [r0, r0 + rows) by columns [c0, c0 + cols) of op(A)·op(B) summed over
     * [k0, k0 + len) of the inner dimension, into {@code out} (from {@code outOff}, rows {@code outLd} apart)
     * as out = product + beta·out, on the calling thread.
     */
    private interface Block {
        void run(int r0, int rows, int c0, int cols, int k0, int len, float beta, float[] out, int outOff, int outLd);
    }

    /** C = op(A)·op(B) + beta·C cut into blocks by shape alone: tiles of C, or pieces of k (see the class comment). */
    private static void blocks(int m, int n, int k, int maxCols, int colAlign, float beta, float[] c, int cOff, int ldc, Block block) {
        if (m == 0 || n == 0) return;
        // equal tiles of at most TILE_ROWS x maxCols (columns rounded up to colAlign): balanced over the workers
        int rowTiles = ceilDiv(m, TILE_ROWS), colTiles = ceilDiv(n, maxCols);
        int tileRows = ceilDiv(m, rowTiles), tileCols = ceilDiv(ceilDiv(n, colTiles), colAlign) * colAlign;
        int cols = ceilDiv(n, tileCols);
        if (rowTiles * cols < 4 && k >= 2 * TILE_INNER) {
            alongInner(m, n, k, beta, c, cOff, ldc, block);
            return;
        }
        Parallel.forRange(rowTiles * cols, 1, (from, to) -> {
            for (int tile = from; tile < to; tile++) {
                int r0 = tile / cols * tileRows, c0 = tile % cols * tileCols;
                block.run(r0, Math.min(tileRows, m - r0), c0, Math.min(tileCols, n - c0), 0, k, beta, c, cOff + r0 * ldc + c0, ldc);
            }
        });
    }

    /** Partial products over fixed chunks of the inner dimension, then C = beta·C + their sum in chunk order. */
    private static void alongInner(int m, int n, int k, float beta, float[] c, int cOff, int ldc, Block block) {
        int chunks = ceilDiv(k, TILE_INNER);
        float[][] partial = new float[chunks][m * n];
        Parallel.forRange(chunks, 1, (from, to) -> {
            for (int j = from; j < to; j++) {
                int k0 = j * TILE_INNER;
                block.run(0, m, 0, n, k0, Math.min(TILE_INNER, k - k0), 0f, partial[j], 0, n);
            }
        });
        Parallel.forRange(m, 8, (from, to) -> {
            for (int i = from; i < to; i++) {
                int row = cOff + i * ldc;
                if (beta == 0f) Arrays.fill(c, row, row + n, 0f); // not beta * C: C may hold NaN garbage
                else if (beta != 1f) Vec.scale(c, row, n, beta);
                for (float[] p : partial) Vec.axpy(1f, p, i * n, c, row, n);
            }
        });
    }

    /** C = alpha·op(A)·op(B) + beta·C by one single-threaded OpenBLAS call on the calling thread. */
    static void tile(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                     float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        Blas.sgemm(transA, transB, m, n, k, alpha, slice(a, aOff), lda, slice(b, bOff), ldb, beta, slice(c, cOff), ldc);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static MemorySegment slice(float[] x, int off) {
        MemorySegment s = MemorySegment.ofArray(x);
        return off == 0 ? s : s.asSlice(4L * off);
    }
}

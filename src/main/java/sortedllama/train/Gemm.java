package sortedllama.train;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import sortedllama.tensor.Blas;
import sortedllama.tensor.Parallel;
import sortedllama.tensor.Vec;

/**
 * Matrix products of training, C = op(A)·op(B) + beta·C on heap float arrays (passed to OpenBLAS
 * without copies: a critical downcall pins them), with either operand transposed: weight
 * gradients need A^T·B, which {@link Blas#sgemm} does not offer.
 *
 * <p>Threads: OpenBLAS's own workers keep spinning for a long time after each product, and on
 * a machine with few cores they steal the cores from the Java kernels that run in between
 * (attention ran at half speed). So OpenBLAS runs single-threaded ({@link Blas} sets it so), and
 * the product is cut into tiles that {@link Parallel}'s workers hand to OpenBLAS one by one.
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
    private Gemm() {}

    /**
     * C[m,n] = op(A)·op(B) + beta·C, row-major, where op(A) is [m,k] (A stored [k,m] when
     * transA) and op(B) is [k,n] (B stored [n,k] when transB). Offsets are in floats.
     */
    static void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0) return;
        // equal tiles of at most TILE_ROWS x TILE_COLS: balanced over the workers
        int rowTiles = ceilDiv(m, TILE_ROWS), colTiles = ceilDiv(n, TILE_COLS);
        int tileRows = ceilDiv(m, rowTiles), tileCols = ceilDiv(n, colTiles);
        if (rowTiles * colTiles < 4 && k >= 2 * TILE_INNER) {
            alongInner(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        Parallel.forRange(rowTiles * colTiles, 1, (from, to) -> {
            for (int tile = from; tile < to; tile++) {
                int r0 = tile / colTiles * tileRows, c0 = tile % colTiles * tileCols;
                int rows = Math.min(tileRows, m - r0), cols = Math.min(tileCols, n - c0);
                tile(transA, transB, rows, cols, k, 1f, a, aOff + (transA ? r0 : r0 * lda), lda,
                        b, bOff + (transB ? c0 * ldb : c0), ldb, beta, c, cOff + r0 * ldc + c0, ldc);
            }
        });
    }

    /** Partial products over fixed chunks of the inner dimension, then C = beta·C + their sum in chunk order. */
    private static void alongInner(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda,
                                   float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        int chunks = ceilDiv(k, TILE_INNER);
        float[][] partial = new float[chunks][m * n];
        Parallel.forRange(chunks, 1, (from, to) -> {
            for (int j = from; j < to; j++) {
                int k0 = j * TILE_INNER, len = Math.min(TILE_INNER, k - k0);
                tile(transA, transB, m, n, len, 1f, a, aOff + (transA ? k0 * lda : k0), lda,
                        b, bOff + (transB ? k0 : k0 * ldb), ldb, 0f, partial[j], 0, n);
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

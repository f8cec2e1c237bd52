package sortedllama.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import sortedllama.tensor.Parallel;

/**
 * Gemm's tiling (row and column tiles, chunks of the inner dimension) against a double-precision
 * product, for every transposition, with offsets, leading dimensions wider than the matrices and
 * beta 0, 1 and 0.5; and the same bits with one thread as with several.
 * Tolerance: 1e-5 * sum_k |a b| per element (float32 sums in another order).
 */
class GemmTest {

    @ParameterizedTest(name = "m={0} n={1} k={2} transA={3} transB={4} beta={5}")
    @CsvSource({
            "5, 7, 3, false, true, 0",          // one tile
            "300, 9, 20, false, true, 0",       // row tiles
            "150, 4100, 6, false, false, 1",    // row and column tiles
            "40, 30, 2500, true, false, 1",     // inner-dimension chunks (a weight gradient)
            "20, 10, 2100, false, true, 0.5",
            "33, 12, 2200, true, true, 0",
    })
    void matchesDoublePrecision(int m, int n, int k, boolean transA, boolean transB, float beta) {
        Random rnd = new Random(m * 31 + n);
        int lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 2, ldc = n + 5, off = 7;
        float[] a = FiniteDifferences.random(rnd, off + (transA ? k : m) * lda, 1);
        float[] b = FiniteDifferences.random(rnd, off + (transB ? n : k) * ldb, 1);
        float[] c0 = FiniteDifferences.random(rnd, off + m * ldc, 1);
        float[] c = c0.clone();
        Gemm.gemm(transA, transB, m, n, k, a, off, lda, b, off, ldb, beta, c, off, ldc);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0, magnitude = 0;
                for (int p = 0; p < k; p++) {
                    double x = a[off + (transA ? p * lda + i : i * lda + p)], y = b[off + (transB ? j * ldb + p : p * ldb + j)];
                    sum += x * y;
                    magnitude += Math.abs(x * y);
                }
                double expected = sum + beta * (double) c0[off + i * ldc + j];
                assertEquals(expected, c[off + i * ldc + j], 1e-5 * (magnitude + 1), "C[" + i + "," + j + "]");
            }
            for (int j = n; j < ldc && off + i * ldc + j < c.length; j++) {
                assertEquals(c0[off + i * ldc + j], c[off + i * ldc + j], "padding C[" + i + "," + j + "] untouched");
            }
        }
        int saved = Parallel.threads();
        try {
            Parallel.setThreads(1);
            float[] single = c0.clone();
            Gemm.gemm(transA, transB, m, n, k, a, off, lda, b, off, ldb, beta, single, off, ldc);
            assertArrayEquals(c, single, "one thread vs " + saved);
        } finally {
            Parallel.setThreads(saved);
        }
    }
}

package sortedllama.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import sortedllama.tensor.Bf16Gemm;
import sortedllama.tensor.Dequantize;
import sortedllama.tensor.Parallel;

/**
 * Gemm's tiling (row and column tiles, chunks of the inner dimension) against a double-precision
 * product, for every transposition, with offsets, leading dimensions wider than the matrices and
 * beta 0, 1 and 0.5, in both precisions; and the same bits with one thread as with several.
 *
 * <p>Tolerances. F32: 1e-5 * sum_k |a b| per element (float32 sums in another order). BF16: the
 * reference multiplies the operands rounded to BF16 (nearest even); products of BF16 values are exact
 * in float32, so the only error left is that of the float32 sums, at most (k + 1) * 2^-24 *
 * (sum_k |a b| + |beta c|) with at most k + 1 roundings in an element's chain of sums (the first-order
 * bound of recursive summation). That is tight: for these shapes it is far under the error of not
 * rounding the operands, or of truncating them (about 2^-9 of each).
 */
class GemmTest {

    @ParameterizedTest(name = "{0} m={1} n={2} k={3} transA={4} transB={5} beta={6}")
    @CsvSource({
            "F32, 5, 7, 3, false, true, 0",          // one tile
            "F32, 300, 9, 20, false, true, 0",       // row tiles
            "F32, 150, 4100, 6, false, false, 1",    // row and column tiles
            "F32, 40, 30, 2500, true, false, 1",     // inner-dimension chunks (a weight gradient)
            "F32, 20, 10, 2100, false, true, 0.5",
            "F32, 33, 12, 2200, true, true, 0",
            "BF16, 5, 7, 3, false, true, 0",         // one partial tile, k under a tile
            "BF16, 300, 9, 20, false, true, 0",
            "BF16, 150, 4100, 6, false, false, 1",
            "BF16, 40, 30, 2500, true, false, 1",
            "BF16, 20, 10, 2100, false, true, 0.5",
            "BF16, 33, 12, 2200, true, true, 0",
            "BF16, 64, 96, 544, false, false, 0",    // whole tiles, k over one block of 512
            "BF16, 47, 33, 77, true, true, 0.5",
    })
    void matchesDoublePrecision(Precision precision, int m, int n, int k, boolean transA, boolean transB, float beta) {
        assumeTrue(precision == Precision.F32 || Bf16Gemm.available(), "BF16 products unavailable: " + Bf16Gemm.why());
        Random rnd = new Random(m * 31 + n);
        int lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 2, ldc = n + 5, off = 7;
        float[] a = FiniteDifferences.random(rnd, off + (transA ? k : m) * lda, 1);
        float[] b = FiniteDifferences.random(rnd, off + (transB ? n : k) * ldb, 1);
        float[] c0 = FiniteDifferences.random(rnd, off + m * ldc, 1);
        float[] c = c0.clone();
        Runnable product = () -> ScopedValue.where(Gemm.PRECISION, precision)
                .run(() -> Gemm.gemm(transA, transB, m, n, k, a, off, lda, b, off, ldb, beta, c, off, ldc));
        product.run();
        check(precision, m, n, k, transA, transB, beta, a, off, lda, b, off, ldb, c0, c, off, ldc);
        float[] threaded = c.clone();
        int saved = Parallel.threads();
        try {
            Parallel.setThreads(1);
            System.arraycopy(c0, 0, c, 0, c.length);
            product.run();
            assertArrayEquals(threaded, c, "one thread vs " + saved);
        } finally {
            Parallel.setThreads(saved);
        }
    }

    /** C = beta·C0 + op(A)·op(B) within the tolerance of {@code precision} (see the class comment); C's padding untouched. */
    static void check(Precision precision, int m, int n, int k, boolean transA, boolean transB, float beta, float[] a, int aOff, int lda,
                      float[] b, int bOff, int ldb, float[] c0, float[] c, int cOff, int ldc) {
        boolean bf16 = precision == Precision.BF16;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0, magnitude = 0;
                for (int p = 0; p < k; p++) {
                    double x = operand(bf16, a[aOff + (transA ? p * lda + i : i * lda + p)]);
                    double y = operand(bf16, b[bOff + (transB ? j * ldb + p : p * ldb + j)]);
                    sum += x * y;
                    magnitude += Math.abs(x * y);
                }
                double before = beta * (double) c0[cOff + i * ldc + j];
                double tolerance = bf16 ? (k + 1) * Math.scalb(1.0, -24) * (magnitude + Math.abs(before)) : 1e-5 * (magnitude + 1);
                assertEquals(sum + before, c[cOff + i * ldc + j], tolerance, "C[" + i + "," + j + "]");
            }
            for (int j = n; j < ldc && cOff + i * ldc + j < c.length; j++) {
                assertEquals(c0[cOff + i * ldc + j], c[cOff + i * ldc + j], "padding C[" + i + "," + j + "] untouched");
            }
        }
    }

    private static double operand(boolean bf16, float x) {
        return bf16 ? Dequantize.bf16ToFloat(Dequantize.floatToBf16(x)) : x;
    }
}

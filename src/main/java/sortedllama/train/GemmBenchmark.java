package sortedllama.train;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * GFLOP/s of training's three matrix products per weight, float32 against BF16, measured in turn in
 * the same run ({@code bench gemm}): for a weight W [out, in] and {@code tokens} rows of activations,
 * the forward y = x·W^T, the input gradient dx = dy·W and the weight gradient dW += dy^T·x, each
 * through {@link Gemm} as training calls it (BF16 includes rounding and packing the operands).
 */
public final class GemmBenchmark {
    /** A model's projections: name, rows (out) and columns (in) of each weight, and the tokens of a batch. */
    public record Shape(String name, int tokens, List<int[]> weights) {}

    public static final List<Shape> SHAPES = List.of(
            new Shape("a", 2048, List.of(new int[] {288, 288}, new int[] {768, 288}, new int[] {288, 768}, new int[] {32000, 288})),
            new Shape("1b", 256, List.of(new int[] {2048, 2048}, new int[] {5632, 2048}, new int[] {2048, 5632}, new int[] {32000, 2048})));

    private GemmBenchmark() {}

    /** One line per product: its shape, float32 and BF16 GFLOP/s (best of {@code runs}) and their ratio. */
    public static void run(PrintWriter out, Shape shape, int runs) {
        Random rnd = new Random(1);
        for (int[] w : shape.weights()) {
            int rows = w[0], cols = w[1], t = shape.tokens();
            float[] weight = random(rnd, rows * cols), grad = new float[rows * cols];
            float[] x = random(rnd, t * cols), dx = new float[t * cols], y = new float[t * rows], dy = random(rnd, t * rows);
            report(out, shape, "forward   x·W^T", t, rows, cols, runs,
                    () -> Gemm.gemm(false, true, t, rows, cols, x, 0, cols, weight, 0, cols, 0f, y, 0, rows));
            report(out, shape, "input     dy·W", t, cols, rows, runs,
                    () -> Gemm.gemm(false, false, t, cols, rows, dy, 0, rows, weight, 0, cols, 0f, dx, 0, cols));
            report(out, shape, "weight    dy^T·x", rows, cols, t, runs,
                    () -> Gemm.gemm(true, false, rows, cols, t, dy, 0, rows, x, 0, cols, 1f, grad, 0, cols));
        }
    }

    private static void report(PrintWriter out, Shape shape, String what, int m, int n, int k, int runs, Runnable product) {
        double f32 = gflops(m, n, k, runs, Precision.F32, product), bf16 = gflops(m, n, k, runs, Precision.BF16, product);
        out.printf(Locale.ROOT, "(%s) %-17s m %5d  n %5d  k %5d   f32 %7.1f  bf16 %7.1f GFLOP/s  (x%.2f)%n",
                shape.name(), what, m, n, k, f32, bf16, bf16 / f32);
        out.flush();
    }

    private static double gflops(int m, int n, int k, int runs, Precision precision, Runnable product) {
        double best = Double.MAX_VALUE;
        for (int r = 0; r <= runs; r++) { // run 0 warms up
            long t0 = System.nanoTime();
            ScopedValue.where(Gemm.PRECISION, precision).run(product);
            double s = (System.nanoTime() - t0) / 1e9;
            if (r > 0) best = Math.min(best, s);
        }
        return 2.0 * m * n * k / best / 1e9;
    }

    private static float[] random(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }
}

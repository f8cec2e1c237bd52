package sortedllama.train;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import java.util.function.DoubleSupplier;

/**
 * Central finite differences of a scalar function of float32 inputs: (f(x + h) - f(x - h)) / 2h
 * per coordinate, with the step measured as the floats actually stored. Compared with the
 * analytic gradient relative to its largest magnitude (as {@link Close}): float32 rounding of f
 * limits FD to about 1e-4 of that, so the tests' tolerances sit at a few 1e-3.
 */
final class FiniteDifferences {
    private FiniteDifferences() {}

    /** Checks d f / d x[i] against {@code analytic[i]} at the given coordinates (all when null); returns the worst relative error. */
    static double check(String what, float[] x, float[] analytic, int[] coords, double h, double tol, DoubleSupplier f) {
        double scale = 0;
        for (float g : analytic) scale = Math.max(scale, Math.abs(g));
        if (scale == 0) scale = 1;
        double worst = 0;
        int n = coords == null ? x.length : coords.length;
        for (int j = 0; j < n; j++) {
            int i = coords == null ? j : coords[j];
            float saved = x[i];
            float up = (float) (saved + h), down = (float) (saved - h);
            x[i] = up;
            double fUp = f.getAsDouble();
            x[i] = down;
            double fDown = f.getAsDouble();
            x[i] = saved;
            double fd = (fUp - fDown) / ((double) up - down);
            double err = Math.abs(fd - analytic[i]) / scale;
            worst = Math.max(worst, err);
            if (!(err <= tol)) {
                fail(what + "[" + i + "]: finite difference " + fd + " vs backward " + analytic[i] + " (error " + err
                        + " of the largest gradient " + scale + ", tolerance " + tol + ")");
            }
        }
        return worst;
    }

    /** sum_i r_i * out_i in double: a scalar whose gradient with respect to out is r. */
    static double project(float[] out, float[] r) {
        double s = 0;
        for (int i = 0; i < out.length; i++) s += (double) r[i] * out[i];
        return s;
    }

    static float[] random(Random rnd, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextGaussian() * scale);
        return v;
    }
}

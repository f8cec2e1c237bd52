package sortedllama.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Array comparisons with the error measured against the reference's largest magnitude. */
final class Close {
    private Close() {}

    /**
     * Asserts max_i |actual_i - expected_i| <= tol * max_i |expected_i|: elements near zero are
     * held to the tensor's scale, not to their own (float32 rounding there is relative to the
     * terms that cancelled, not to the result). Returns the observed relative error.
     */
    static double assertClose(String what, float[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length, what + ": length");
        double scale = 0, err = 0;
        int worst = 0;
        for (float e : expected) scale = Math.max(scale, Math.abs(e));
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs((double) actual[i] - expected[i]);
            if (!(d <= err)) {
                err = d;
                worst = i;
            }
        }
        double rel = scale == 0 ? err : err / scale;
        if (!(rel <= tol)) {
            fail(what + ": error " + rel + " of the largest magnitude " + scale + " exceeds " + tol + " (element " + worst
                    + ": expected " + expected[worst] + ", got " + actual[worst] + ")");
        }
        return rel;
    }
}

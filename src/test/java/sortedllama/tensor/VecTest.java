package sortedllama.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The element-wise kernels' own exp, softmax and SwiGLU. */
class VecTest {

    /** Relative error at most 2e-7 (about 2 ulp) against Math.exp over float's whole normal range; 0 below it. */
    @Test
    void expIsAccurate() {
        float[] x = new float[Vec.L], y = new float[Vec.L];
        double worst = 0;
        for (double v = -87.3; v < 88.3; v += 0.0137) {
            for (int i = 0; i < Vec.L; i++) x[i] = (float) (v + i * 1e-3);
            Vec.exp(FloatVector.fromArray(Vec.S, x, 0)).intoArray(y, 0);
            for (int i = 0; i < Vec.L; i++) {
                double exact = Math.exp(x[i]);
                worst = Math.max(worst, Math.abs(y[i] - exact) / exact);
            }
        }
        System.out.printf("exp: worst relative error %.2e%n", worst);
        assertEquals(0, worst, 2e-7);
        java.util.Arrays.fill(x, -100f);
        Vec.exp(FloatVector.fromArray(Vec.S, x, 0)).intoArray(y, 0);
        assertEquals(0f, y[0]);
    }

    @Test
    void softmaxOfAnyLengthSumsToOne() {
        for (int n : new int[] {1, 5, Vec.L, Vec.L + 3, 100}) {
            var random = new java.util.Random(n);
            float[] x = new float[n + 2];
            for (int i = 0; i < x.length; i++) x[i] = (float) (3 * random.nextGaussian());
            Vec.softmax(x, 1, n);
            double sum = 0;
            for (int i = 1; i <= n; i++) sum += x[i];
            assertEquals(1, sum, 1e-6, "n=" + n);
        }
    }

    /** Against silu(g) * up in double, lengths with and without a tail: relative error at most 1e-6. */
    @Test
    void swigluMatchesItsDefinition() {
        for (int n : new int[] {1, Vec.L - 1, Vec.L, 3 * Vec.L + 5, 704}) {
            var random = new java.util.Random(n);
            float[] gate = new float[n], up = new float[n], out = new float[n];
            for (int i = 0; i < n; i++) {
                gate[i] = (float) (4 * random.nextGaussian());
                up[i] = (float) random.nextGaussian();
            }
            Vec.swiglu(out, gate, up, 0, n);
            for (int i = 0; i < n; i++) {
                double g = gate[i], want = g / (1 + Math.exp(-g)) * up[i];
                assertEquals(want, out[i], 1e-6 * Math.abs(want) + 1e-30, "n=" + n + " i=" + i);
            }
        }
    }

    /** The lane sum is the xor tree it promises (lane i with i ^ L/2, then i ^ L/4, ...), bit for bit. */
    @Test
    void sumLanesTreeFollowsItsFixedTree() {
        var random = new java.util.Random(9);
        for (int trial = 0; trial < 100; trial++) {
            float[] lanes = new float[Vec.L];
            for (int i = 0; i < Vec.L; i++) lanes[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(8) - 4));
            float[] tree = lanes.clone();
            for (int d = Vec.L / 2; d >= 1; d /= 2) {
                float[] next = new float[Vec.L];
                for (int i = 0; i < Vec.L; i++) next[i] = tree[i] + tree[i ^ d];
                tree = next;
            }
            assertEquals(tree[0], Vec.sumLanesTree(FloatVector.fromArray(Vec.S, lanes, 0)), 0f, "trial " + trial);
        }
    }
}

package sortedllama.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The element-wise kernels' own exp, softmax and SwiGLU, and the two summation orders of the dot product. */
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
        Arrays.fill(x, -100f);
        Vec.exp(FloatVector.fromArray(Vec.S, x, 0)).intoArray(y, 0);
        assertEquals(0f, y[0]);
    }

    /** Four keys' dot products at once give each the bits of its own {@link Vec#dotTree}. */
    @Test
    void dotTree4IsFourDotTrees() {
        var random = new Random(3);
        for (int n : new int[] {1, 7, Vec.L, 2 * Vec.L, 3 * Vec.L, 64, 100, 128, 3 * Vec.L + 5}) {
            int stride = n + 3;
            float[] a = new float[n + 2], b = new float[1 + 4 * stride], out = new float[6];
            for (int i = 0; i < a.length; i++) a[i] = (float) random.nextGaussian();
            for (int i = 0; i < b.length; i++) b[i] = (float) (random.nextGaussian() * Math.exp(3 * random.nextGaussian()));
            Vec.dotTree4(a, 2, b, 1, stride, n, out, 1);
            for (int j = 0; j < 4; j++) {
                float expected = Vec.dotTree(a, 2, b, 1 + j * stride, n);
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(out[1 + j]), "n " + n + " key " + j);
            }
        }
    }

    /** The weighted sum of rows gives the bits of zeroing the output and one axpy per row, and its sum is right. */
    @Test
    void weightedSumIsAxpyInOrder() {
        var random = new Random(7);
        for (int len : new int[] {1, 7, Vec.L, 2 * Vec.L + 5, 64, 80, 4 * Vec.L + Vec.L + 3}) {
            for (int n : new int[] {0, 1, 3, 37}) {
                int stride = len + 5, xOff = 2;
                float[] w = new float[n], x = new float[xOff + n * stride];
                for (int p = 0; p < n; p++) w[p] = (float) random.nextGaussian();
                for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
                float[] expected = new float[len + 3], got = new float[len + 3];
                Arrays.fill(got, Float.NaN); // every output element must be written
                for (int p = 0; p < n; p++) Vec.axpy(w[p], x, xOff + p * stride, expected, 3, len);
                Vec.weightedSum(w, n, x, xOff, stride, got, 3, len);
                for (int i = 0; i < len; i++) {
                    assertEquals(Float.floatToRawIntBits(expected[3 + i]), Float.floatToRawIntBits(got[3 + i]), "len " + len + " n " + n + " at " + i);
                    double exact = 0;
                    for (int p = 0; p < n; p++) exact += (double) w[p] * x[xOff + p * stride + i];
                    assertEquals(exact, got[3 + i], 1e-5 * (1 + n));
                }
            }
        }
    }

    @Test
    void softmaxOfAnyLengthSumsToOne() {
        for (int n : new int[] {1, 5, Vec.L, Vec.L + 3, 100}) {
            var random = new Random(n);
            float[] x = new float[n + 2];
            for (int i = 0; i < x.length; i++) x[i] = (float) (3 * random.nextGaussian());
            Vec.softmax(x, 1, n);
            double sum = 0;
            for (int i = 1; i <= n; i++) sum += x[i];
            assertEquals(1, sum, 1e-6, "n=" + n);
        }
    }

    /**
     * Against silu(g) * up in double, lengths with and without a tail, gates of order 4 and of order 100 (past
     * exp's range both ways): relative error at most 1e-6, or an absolute 1e-30 where silu(g) underflows.
     */
    @Test
    void swigluMatchesItsDefinition() {
        for (double spread : new double[] {4, 100}) {
            for (int n : new int[] {1, Vec.L - 1, Vec.L, 3 * Vec.L + 5, 704}) {
                var random = new Random(n);
                float[] gate = new float[n], up = new float[n], out = new float[n];
                for (int i = 0; i < n; i++) {
                    gate[i] = (float) (spread * random.nextGaussian());
                    up[i] = (float) random.nextGaussian();
                }
                Vec.swiglu(out, gate, up, 0, n);
                for (int i = 0; i < n; i++) {
                    double g = gate[i], want = g / (1 + Math.exp(-g)) * up[i];
                    assertEquals(want, out[i], 1e-6 * Math.abs(want) + 1e-30, "spread " + spread + " n=" + n + " i=" + i);
                }
            }
        }
    }

    /**
     * sigmoid is 0 or a normal float, never subnormal (a subnormal result costs a microcode assist per lane:
     * SwiGLU on gates of order 100 was 2.8x slower), and within 2e-7 of 1 / (1 + e^-g) where that is normal.
     */
    @Test
    void sigmoidIsNeverSubnormal() {
        float[] g = new float[Vec.L], s = new float[Vec.L];
        for (double v = -120; v < 30; v += 0.0173) {
            for (int i = 0; i < Vec.L; i++) g[i] = (float) (v + i * 1e-3);
            Vec.sigmoid(FloatVector.fromArray(Vec.S, g, 0)).intoArray(s, 0);
            for (int i = 0; i < Vec.L; i++) {
                double exact = 1 / (1 + Math.exp(-g[i]));
                if (exact < Float.MIN_NORMAL) assertEquals(0f, s[i], "g " + g[i]);
                else assertEquals(exact, s[i], 2e-7 * exact, "g " + g[i]);
            }
        }
    }

    /** The lane sum is the xor tree it promises (lane i with i ^ L/2, then i ^ L/4, ...), bit for bit. */
    @Test
    void sumLanesTreeFollowsItsFixedTree() {
        var random = new Random(9);
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

    /**
     * Each dot product sums in the order its name promises, bit for bit (emulated lane by lane in
     * float), over lengths with and without a tail; the two orders agree to float rounding.
     */
    @Test
    void dotProductsFollowTheirNamedOrders() {
        var random = new Random(3);
        for (int n : new int[] {1, Vec.L - 1, Vec.L, 2 * Vec.L, 3 * Vec.L + 5, 200}) {
            float[] a = new float[n + 3], b = new float[n + 1];
            for (int i = 0; i < a.length; i++) a[i] = (float) random.nextGaussian();
            for (int i = 0; i < b.length; i++) b[i] = (float) random.nextGaussian();
            // in order: lane j accumulates a[3 + j + kL] * b[1 + j + kL] by fma; lanes added from 0; the tail by fma
            float[] lanes = new float[Vec.L];
            int whole = n / Vec.L * Vec.L;
            for (int i = 0; i < whole; i++) lanes[i % Vec.L] = Math.fma(a[3 + i], b[1 + i], lanes[i % Vec.L]);
            float inOrder = 0;
            for (float lane : lanes) inOrder += lane;
            for (int i = whole; i < n; i++) inOrder = Math.fma(a[3 + i], b[1 + i], inOrder);
            assertEquals(inOrder, Vec.dotInOrder(a, 3, b, 1, n), 0f, "in order, n=" + n);
            assertEquals(inOrder, Vec.dot(a, 3, b, 1, n, Vec.SumOrder.IN_ORDER), 0f, "n=" + n);
            // tree: two accumulators over alternate slices while two whole slices remain, then the tree, then the tail
            float[] acc0 = new float[Vec.L], acc1 = new float[Vec.L];
            int i = 0;
            for (; i + 2 * Vec.L <= n; i += 2 * Vec.L) {
                for (int j = 0; j < Vec.L; j++) {
                    acc0[j] = Math.fma(a[3 + i + j], b[1 + i + j], acc0[j]);
                    acc1[j] = Math.fma(a[3 + i + Vec.L + j], b[1 + i + Vec.L + j], acc1[j]);
                }
            }
            for (; i + Vec.L <= n; i += Vec.L) for (int j = 0; j < Vec.L; j++) acc0[j] = Math.fma(a[3 + i + j], b[1 + i + j], acc0[j]);
            float[] tree = new float[Vec.L];
            for (int j = 0; j < Vec.L; j++) tree[j] = acc0[j] + acc1[j];
            for (int d = Vec.L / 2; d >= 1; d /= 2) {
                float[] next = new float[Vec.L];
                for (int j = 0; j < Vec.L; j++) next[j] = tree[j] + tree[j ^ d];
                tree = next;
            }
            float treeSum = tree[0];
            for (; i < n; i++) treeSum += a[3 + i] * b[1 + i];
            assertEquals(treeSum, Vec.dotTree(a, 3, b, 1, n), 0f, "tree, n=" + n);
            assertEquals(treeSum, Vec.dot(a, 3, b, 1, n, Vec.SumOrder.TREE), 0f, "n=" + n);
            double exact = 0, scale = 0;
            for (int k = 0; k < n; k++) {
                exact += (double) a[3 + k] * b[1 + k];
                scale += Math.abs((double) a[3 + k] * b[1 + k]);
            }
            assertEquals(exact, inOrder, 1e-6 * scale, "n=" + n);
            assertEquals(exact, treeSum, 1e-6 * scale, "n=" + n);
        }
    }
}

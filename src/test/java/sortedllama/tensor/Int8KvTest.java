package sortedllama.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The 8-bit cache's loops against scalar definitions written here: the bytes and scales of the rounding,
 * and the bits of the key and value loops in the orders their documentation states.
 */
class Int8KvTest {
    private static final int DIM = 64, G = Int8Kv.GROUP, K = Int8Kv.KEYS_PER_BLOCK;

    private static float[] values(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian() * (i % 7 == 0 ? 3 : 1);
        return x;
    }

    /** d = amax / 127 and q = x * (127 / amax) rounded half away from zero; a group of zeros gives zeros. */
    @Test
    void quantizeRoundsAsDefinedAndStaysWithinHalfAStep() {
        Random r = new Random(3);
        float[] x = values(r, DIM);
        for (int i = 0; i < G; i++) x[i] = 0; // first group all zeros
        byte[] q = new byte[DIM];
        float[] d = new float[2];
        Int8Kv.quantize(x, 0, DIM, q, 0, d, 0, 1);
        for (int g = 0; g < 2; g++) {
            float amax = 0;
            for (int i = g * G; i < (g + 1) * G; i++) amax = Math.max(amax, Math.abs(x[i]));
            assertEquals(amax / 127f, d[g], "scale of group " + g);
            float inv = amax != 0 ? 127f / amax : 0f;
            for (int i = g * G; i < (g + 1) * G; i++) {
                float y = x[i] * inv;
                int expected = (int) Math.signum(y) * (int) Math.floor(Math.abs(y) + 0.5f);
                assertEquals(expected, q[i], "value " + i);
                assertTrue(Math.abs(Int8Kv.get(q, 0, d, 0, i) - x[i]) <= 0.5f * d[g] * 1.0001f + 1e-12f, "value " + i);
            }
        }
    }

    /** dots16: per key and group, even and odd coordinates summed by fma apart, their sum scaled into the total by fma. */
    @Test
    void sixteenKeysDotsHaveTheStatedBits() {
        Random r = new Random(5);
        byte[] block = new byte[K * DIM];
        float[] scales = new float[K * DIM / G];
        float[][] keys = new float[K][];
        for (int k = 0; k < K; k++) {
            keys[k] = values(r, DIM);
            Int8Kv.quantizeColumn(keys[k], 0, DIM, block, 0, k, scales, 0);
        }
        float[] q = values(r, 3 + DIM), out = new float[K];
        Int8Kv.dots16(q, 3, block, 0, scales, 0, DIM, out, 0);
        for (int k = 0; k < K; k++) {
            float total = 0;
            for (int g = 0; g < DIM / G; g++) {
                float even = 0, odd = 0;
                for (int i = g * G; i < (g + 1) * G; i += 2) {
                    even = Math.fma(q[3 + i], block[K * i + k], even);
                    odd = Math.fma(q[3 + i + 1], block[K * (i + 1) + k], odd);
                }
                total = Math.fma(even + odd, scales[g * K + k], total);
            }
            assertEquals(total, out[k], "key " + k);
            double exact = 0;
            for (int i = 0; i < DIM; i++) exact += (double) q[3 + i] * Int8Kv.getColumn(block, 0, scales, 0, k, i);
            assertEquals(exact, out[k], 1e-4 * (1 + Math.abs(exact)), "key " + k + " against its dequantized values");
        }
    }

    /** weightedSum: each element summed from zero by one fma per position, in order, with the weight times its group's scale. */
    @Test
    void weightedSumHasTheStatedBits() {
        Random r = new Random(7);
        int n = 37, stride = 2 * DIM, dStride = 5; // rows apart in the bytes, scales apart in their array
        byte[] x = new byte[n * stride + 11];
        float[] d = new float[n * dStride + 4];
        for (int p = 0; p < n; p++) Int8Kv.quantize(values(r, DIM), 0, DIM, x, 11 + p * stride, d, 4 + p * dStride, 1);
        float[] w = values(r, n), y = new float[DIM + 2];
        Int8Kv.weightedSum(w, n, x, 11, stride, d, 4, dStride, y, 2, DIM);
        for (int i = 0; i < DIM; i++) {
            float a = 0;
            for (int p = 0; p < n; p++) a = Math.fma(x[11 + p * stride + i], w[p] * d[4 + p * dStride + i / G], a);
            assertEquals(a, y[2 + i], "element " + i);
        }
    }
}

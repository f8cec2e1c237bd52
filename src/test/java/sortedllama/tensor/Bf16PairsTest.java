package sortedllama.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Packed bfloat16 pairs: exact rounding, and attention's loops with the bits of {@link Vec}'s on the widened values. */
class Bf16PairsTest {

    /** Each value packs to its bfloat16 rounding (PyTorch's, ties to even) and reads back at its own index. */
    @Test
    void packedValuesReadBackAsTheirRounding() {
        var random = new Random(5);
        float[] src = new float[3 + 4 * Bf16Pairs.RUN];
        for (int i = 0; i < src.length; i++) src[i] = (float) (random.nextGaussian() * Math.exp(4 * random.nextGaussian()));
        src[5] = Float.intBitsToFloat(0x3F808000); // a tie: rounds to the even 0x3F80
        src[6] = Float.intBitsToFloat(0x3F818000); // a tie: rounds up to the even 0x3F82
        int[] packed = new int[1 + 2 * Bf16Pairs.RUN];
        Bf16Pairs.pack(src, 3, packed, 1, 4 * Bf16Pairs.RUN);
        for (int i = 0; i < 4 * Bf16Pairs.RUN; i++) {
            float expected = Dequantize.bf16ToFloat(Dequantize.floatToBf16(src[3 + i]));
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(Bf16Pairs.get(packed, 1, i)), "value " + i);
        }
        assertEquals(0x3F800000, Float.floatToRawIntBits(Bf16Pairs.get(packed, 1, 2)));
        assertEquals(0x3F820000, Float.floatToRawIntBits(Bf16Pairs.get(packed, 1, 3)));
    }

    @Test
    void dotTree4IsVecsOnTheWidenedKeys() {
        var random = new Random(3);
        for (int n : new int[] {32, 64, 96, 128}) {
            int stride = n / 2 + 3; // ints between keys
            float[] a = new float[n + 2], out = new float[6], expected = new float[6];
            float[] keys = new float[4 * n];
            for (int i = 0; i < a.length; i++) a[i] = (float) random.nextGaussian();
            for (int i = 0; i < keys.length; i++) keys[i] = (float) (random.nextGaussian() * Math.exp(2 * random.nextGaussian()));
            int[] b = new int[1 + 4 * stride];
            float[] wide = new float[1 + 4 * (n + 3)];
            for (int j = 0; j < 4; j++) {
                Bf16Pairs.pack(keys, j * n, b, 1 + j * stride, n);
                for (int i = 0; i < n; i++) wide[1 + j * (n + 3) + i] = Bf16Pairs.get(b, 1 + j * stride, i);
            }
            Bf16Pairs.dotTree4(a, 2, b, 1, stride, n, out, 1);
            Vec.dotTree4(a, 2, wide, 1, n + 3, n, expected, 1);
            for (int j = 0; j < 4; j++) {
                assertEquals(Float.floatToRawIntBits(expected[1 + j]), Float.floatToRawIntBits(out[1 + j]), "n " + n + " key " + j);
            }
        }
    }

    @Test
    void weightedSumIsVecsOnTheWidenedValues() {
        var random = new Random(7);
        for (int len : new int[] {32, 64, 96, 128}) {
            for (int n : new int[] {0, 1, 3, 37}) {
                int stride = len / 2 + 5, xOff = 2; // in ints
                float[] w = new float[n], rows = new float[Math.max(1, n * len)];
                for (int p = 0; p < n; p++) w[p] = (float) random.nextGaussian();
                for (int i = 0; i < rows.length; i++) rows[i] = (float) random.nextGaussian();
                int[] x = new int[xOff + n * stride];
                float[] wide = new float[n * len];
                for (int p = 0; p < n; p++) {
                    Bf16Pairs.pack(rows, p * len, x, xOff + p * stride, len);
                    for (int i = 0; i < len; i++) wide[p * len + i] = Bf16Pairs.get(x, xOff + p * stride, i);
                }
                float[] expected = new float[len + 3], got = new float[len + 3];
                Arrays.fill(got, Float.NaN); // every output element must be written
                Vec.weightedSum(w, n, wide, 0, len, expected, 3, len);
                Bf16Pairs.weightedSum(w, n, x, xOff, stride, got, 3, len);
                for (int i = 0; i < len; i++) {
                    assertEquals(Float.floatToRawIntBits(expected[3 + i]), Float.floatToRawIntBits(got[3 + i]), "len " + len + " n " + n + " at " + i);
                }
            }
        }
    }
}

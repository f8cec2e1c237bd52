package sortedllama.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Packed bfloat16 pairs: exact rounding, scores of 16 keys in their documented order, and the weighted sum with the bits of {@link Vec}'s on the widened values. */
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

    /** NaN packs as bfloat16's quiet NaN, infinities and values past bfloat16's range as infinities, as the scalar rounding does. */
    @Test
    void specialValuesPackAsTheScalarRoundingDoes() {
        float[] src = new float[Bf16Pairs.RUN];
        src[0] = Float.NaN;
        src[17] = Float.intBitsToFloat(0xFFC12345); // a negative NaN with a payload
        src[2] = Float.POSITIVE_INFINITY;
        src[18] = Float.MAX_VALUE; // rounds up to infinity
        src[3] = -0f;
        src[19] = Float.MIN_VALUE;
        int[] packed = new int[Bf16Pairs.RUN / 2];
        Bf16Pairs.pack(src, 0, packed, 0, Bf16Pairs.RUN);
        for (int i = 0; i < src.length; i++) {
            float expected = Dequantize.bf16ToFloat(Dequantize.floatToBf16(src[i]));
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(Bf16Pairs.get(packed, 0, i)), "value " + i);
        }
        assertEquals(0x7FC00000, Float.floatToRawIntBits(Bf16Pairs.get(packed, 0, 17)));
        assertEquals(Float.POSITIVE_INFINITY, Bf16Pairs.get(packed, 0, 18));
    }

    /**
     * A block of 16 keys: each key reads back as its packed row, and dots16 gives, bit for bit, the
     * order it documents, computed here one key at a time with Math.fma; the sums are within
     * float rounding ((n + 2) * 2^-24 of the terms' magnitude) of the exact dot products of the rounded keys.
     */
    @Test
    void dots16SumsEachKeyInItsDocumentedOrder() {
        var random = new Random(3);
        for (int n : new int[] {32, 64, 96, 128}) {
            int block = 5, qOff = 2, k16 = Bf16Pairs.KEYS_PER_BLOCK;
            float[] q = new float[qOff + n], keys = new float[k16 * n];
            for (int i = 0; i < q.length; i++) q[i] = (float) random.nextGaussian();
            for (int i = 0; i < keys.length; i++) keys[i] = (float) (random.nextGaussian() * Math.exp(2 * random.nextGaussian()));
            int[] b = new int[block + k16 * n / 2 + 3];
            int[] lanes = new int[k16];
            for (int k = 0; k < k16; k++) lanes[k] = (k * 7) % k16; // written in any order
            for (int k : lanes) Bf16Pairs.packColumn(keys, k * n, b, block, k, n);
            float[] out = new float[k16 + 1];
            Bf16Pairs.dots16(q, qOff, b, block, n, out, 1);
            for (int k = 0; k < k16; k++) {
                float[] wide = new float[n];
                int[] row = new int[n / 2];
                Bf16Pairs.pack(keys, k * n, row, 0, n);
                for (int i = 0; i < n; i++) {
                    wide[i] = Bf16Pairs.get(row, 0, i);
                    assertEquals(Float.floatToRawIntBits(wide[i]), Float.floatToRawIntBits(Bf16Pairs.getColumn(b, block, k, i)), "key " + k + " value " + i);
                }
                float[] s = new float[4];
                double exact = 0, magnitude = 0;
                for (int i = 0; i < n; i++) {
                    int pair = i / Bf16Pairs.RUN * (Bf16Pairs.RUN / 2) + i % (Bf16Pairs.RUN / 2); // the int value i lies in
                    int sum = (i % Bf16Pairs.RUN < Bf16Pairs.RUN / 2 ? 0 : 2) + (pair & 1);
                    s[sum] = Math.fma(q[qOff + i], wide[i], s[sum]);
                    exact += (double) q[qOff + i] * wide[i];
                    magnitude += Math.abs((double) q[qOff + i] * wide[i]);
                }
                // the fma chains run in increasing i within each sum, which is increasing pair index
                float expected = (s[0] + s[1]) + (s[2] + s[3]);
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(out[1 + k]), "n " + n + " key " + k);
                // the bound on n float additions and products: (n + 2) units of rounding of the terms' magnitude
                assertEquals(exact, out[1 + k], (n + 2) * 0x1p-24 * magnitude, "n " + n + " key " + k);
            }
            assertEquals(0f, out[0]);
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

package sortedllama.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Vector API kernels against the scalar decoder ({@link Dequantize}) and a double-precision
 * dot product. Decoding must be bit-exact; dot products may differ only by float32 summation
 * order: |error| <= 1e-5 * sum |w_i x_i|.
 */
class WeightRowsTest {
    static final Arena ARENA = Arena.ofAuto();

    static float[] randomValues(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }

    static Tensor randomMatrix(DType type, int rows, int cols, long seed) {
        return RandomBlocks.matrix(type, rows, cols, seed, ARENA);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void decodeIsBitExactWithScalarDecoder(DType type) {
        int cols = type.isQuantized() ? RandomBlocks.cols(type, 96) : 83; // odd width exercises the scalar tail
        Tensor w = randomMatrix(type, 5, cols, 1);
        float[] vector = new float[cols], scalar = new float[cols];
        for (int r = 0; r < 5; r++) {
            WeightRows.decode(w, r, vector);
            Dequantize.row(w, r, scalar, 0);
            for (int i = 0; i < cols; i++) {
                assertEquals(Float.floatToRawIntBits(scalar[i]), Float.floatToRawIntBits(vector[i]),
                        type + " row " + r + " col " + i);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void dotMatchesDoublePrecisionReference(DType type) {
        int cols = type.isQuantized() ? RandomBlocks.cols(type, 320) : 331;
        Tensor w = randomMatrix(type, 7, cols, 2);
        float[] x = randomValues(new Random(3), cols);
        float[] row = new float[cols];
        for (int r = 0; r < 7; r++) {
            Dequantize.row(w, r, row, 0);
            double exact = 0, magnitude = 0;
            for (int i = 0; i < cols; i++) {
                exact += (double) row[i] * x[i];
                magnitude += Math.abs((double) row[i] * x[i]);
            }
            assertEquals(exact, WeightRows.dot(w, r, x, 0), 1e-5 * magnitude, type + " row " + r);
        }
    }

    @Test
    void float16DecodingCoversEveryBitPattern() {
        MemorySegment seg = ARENA.allocate(2 * 65536L);
        for (int bits = 0; bits < 65536; bits++) seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * bits, (short) bits);
        Tensor all = new Tensor("all", DType.F16, new long[] {1, 65536}, seg);
        float[] decoded = new float[65536];
        WeightRows.decode(all, 0, decoded);
        for (int bits = 0; bits < 65536; bits++) {
            float expected = Float.float16ToFloat((short) bits);
            if (Float.isNaN(expected)) {
                assertTrue(Float.isNaN(decoded[bits]), "NaN pattern " + Integer.toHexString(bits));
            } else {
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(decoded[bits]),
                        "float16 0x" + Integer.toHexString(bits));
            }
        }
    }

    @Test
    void quantisersRoundTripWithinHalfAStep() {
        float[] values = randomValues(new Random(4), 64);
        for (DType type : new DType[] {DType.Q8_0, DType.Q4_0}) {
            Tensor t = Quantize.tensor("q", type, new long[] {1, 64}, values, ARENA);
            float[] back = Dequantize.all(t);
            for (int b = 0; b < 2; b++) {
                float amax = 0;
                for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(values[32 * b + j]));
                float step = type == DType.Q8_0 ? amax / 127 : amax / 8;
                // Q8_0 rounds to the nearest step. Q4_0 maps the signed extreme to -8 and so can only
                // reach +7 on the other side: values there are clipped by up to one whole step.
                float bound = type == DType.Q8_0 ? step / 2 : step;
                for (int j = 0; j < 32; j++) {
                    // plus the float16 rounding of the scale (relative 2^-11 of the value)
                    assertEquals(values[32 * b + j], back[32 * b + j], bound + amax * 0x1p-10f, type + " value " + (32 * b + j));
                }
            }
        }
    }
}

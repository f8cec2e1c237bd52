package sortedllama.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The native kernels are built and in use wherever the build has gcc and the CPU has VNNI: CI
 * must not pass on the Java fallback alone. (Their results are checked in {@link MatmulTest}.)
 */
class NativeKernelsTest {

    @Test
    void loadedWhereTheyCanBe() {
        boolean ci = "true".equals(System.getenv("CI"));
        if (!ci) Assumptions.assumeTrue(NativeKernels.available(), "native kernels not in use: " + NativeKernels.why());
        assertTrue(NativeKernels.available(), "native kernels not in use in CI: " + NativeKernels.why());
    }

    @Test
    void servesEveryBlockTypeWithItsActivationBlock() {
        Assumptions.assumeTrue(NativeKernels.available(), "native kernels not in use: " + NativeKernels.why());
        for (DType t : DType.values()) {
            int expected = !t.isQuantized() ? 1 : t.blockSize == 256 ? 256 : 32;
            assertEquals(expected, NativeKernels.activationBlock(t), t.toString());
        }
    }

    /** The native expansion to floats (prefill tiles) is bit for bit the scalar decoder's. */
    @ParameterizedTest
    @EnumSource(DType.class)
    void expandsRowsBitForBitAsTheScalarDecoder(DType type) {
        Assumptions.assumeTrue(type.isQuantized() && NativeKernels.activationBlock(type) > 0, type + " is not expanded natively");
        int rows = 9, cols = RandomBlocks.cols(type, 96);
        assertExpandsAsTheScalarDecoder(RandomBlocks.matrix(type, rows, cols, 5, WeightRowsTest.ARENA), 2);
    }

    /** Rows {@code from}.. of w expanded natively equal {@link Dequantize}'s floats bit for bit. */
    static void assertExpandsAsTheScalarDecoder(Tensor w, int from) {
        int rows = w.rows(), cols = w.cols();
        float[] expected = Dequantize.all(w);
        float[] got = new float[(rows - from) * cols];
        NativeKernels.dequantize(w, from, rows, MemorySegment.ofArray(got));
        for (int i = 0; i < got.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[from * cols + i]), Float.floatToRawIntBits(got[i]), w.type() + " value " + i);
        }
    }

    /** The native kernels' 8-bit input blocks hold exactly the values {@link ActivationBlocks#roundTrip} gives. */
    @ParameterizedTest
    @ValueSource(ints = {32, 256})
    void quantizeInputsAsActivationBlocksSays(int block) {
        Assumptions.assumeTrue(NativeKernels.available(), "native kernels not in use: " + NativeKernels.why());
        int cols = 512, tokens = 3;
        float[] x = WeightRowsTest.randomValues(new Random(block), cols * tokens);
        for (int i = 0; i < 40; i++) x[i] *= 0.001f; // a quiet block: float16 scales lose bits there
        x[300] = 20f; // an outlier
        Arrays.fill(x, 64, 96, 0f); // a block of zeros
        float[] expected = ActivationBlocks.roundTrip(block, x, x.length);
        var bytes = MemorySegment.ofArray(NativeKernels.quantize(block, x, cols, tokens));
        int blockBytes = NativeKernels.activationBytes(block, block), qOffset = block == 32 ? 8 : 40;
        for (int b = 0; b < x.length / block; b++) {
            long at = (long) b * blockBytes;
            float d = bytes.get(ValueLayout.JAVA_FLOAT_UNALIGNED, at);
            for (int i = 0; i < block; i++) {
                float got = d * bytes.get(ValueLayout.JAVA_BYTE, at + qOffset + i);
                assertEquals(Float.floatToRawIntBits(expected[b * block + i]) & 0x7FFFFFFF, Float.floatToRawIntBits(got) & 0x7FFFFFFF,
                        "block " + b + " value " + i + ": " + expected[b * block + i] + " vs " + got);
            }
        }
    }
}

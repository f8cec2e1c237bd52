package sortedllama.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

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
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(DType.class)
    void expandsRowsBitForBitAsTheScalarDecoder(DType type) {
        Assumptions.assumeTrue(type.isQuantized() && NativeKernels.activationBlock(type) > 0, type + " is not expanded natively");
        int rows = 9, cols = RandomBlocks.cols(type, 96);
        Tensor w = RandomBlocks.matrix(type, rows, cols, 5, WeightRowsTest.ARENA);
        float[] expected = Dequantize.all(w);
        float[] got = new float[(rows - 2) * cols];
        NativeKernels.dequantize(w, 2, rows, java.lang.foreign.MemorySegment.ofArray(got));
        for (int i = 0; i < got.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[2 * cols + i]), Float.floatToRawIntBits(got[i]), type + " value " + i);
        }
    }
}

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
            int expected = !t.isQuantized() ? 0 : t.blockSize == 256 ? 256 : 32;
            assertEquals(expected, NativeKernels.activationBlock(t), t.toString());
        }
    }
}

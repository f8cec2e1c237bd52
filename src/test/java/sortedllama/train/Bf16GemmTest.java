package sortedllama.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import sortedllama.tensor.Bf16Gemm;
import sortedllama.tensor.DType;
import sortedllama.tensor.Dequantize;

/**
 * What is particular to BF16 products ({@link Bf16Gemm}; {@link GemmTest} checks them against float64 for
 * every transposition and tiling): op(B) read as stored in F16 or BF16, and the rounding of the operands.
 */
class Bf16GemmTest {

    @BeforeEach
    void needsAmx() {
        assumeTrue(Bf16Gemm.available(), "BF16 products unavailable: " + Bf16Gemm.why());
    }

    /** A frozen base matrix multiplied in its stored type: forward (B stored [n, k]) and the input gradient ([k, n]). */
    @ParameterizedTest(name = "{0} transB={1}")
    @CsvSource({"BF16, true", "BF16, false", "F16, true", "F16, false"})
    void readsStoredHalfPrecision(DType type, boolean transB) {
        int m = 70, n = 90, k = 300, ld = transB ? k : n, off = 0;
        Random rnd = new Random(type.ordinal());
        float[] a = FiniteDifferences.random(rnd, m * k, 1);
        float[] stored = FiniteDifferences.random(rnd, (transB ? n : k) * ld, 1);
        MemorySegment seg = MemorySegment.ofArray(new short[stored.length]);
        for (int i = 0; i < stored.length; i++) {
            short bits = type == DType.BF16 ? Dequantize.floatToBf16(stored[i]) : Float.floatToFloat16(stored[i]);
            seg.setAtIndex(ValueLayout.JAVA_SHORT, i, bits);
            stored[i] = type == DType.BF16 ? Dequantize.bf16ToFloat(bits) : Float.float16ToFloat(bits); // the values B holds
        }
        float[] c0 = FiniteDifferences.random(rnd, m * n, 1), c = c0.clone();
        Gemm.bf16(false, m, n, k, a, 0, k, type, seg, ld, transB, 0f, c, 0, n);
        GemmTest.check(Precision.BF16, m, n, k, false, transB, 0f, a, 0, k, stored, off, ld, c0, c, 0, n);
    }

    /** Halfway cases: the operand's rounding is to nearest, ties to even, as PyTorch's. */
    @Test
    void roundsOperandsToNearestEven() {
        float up = Float.intBitsToFloat(0x3F808001), tieDown = Float.intBitsToFloat(0x3F808000), tieUp = Float.intBitsToFloat(0x3F818000);
        float[] a = {up, tieDown, tieUp}, b = {1f, 1f, 1f}, c = new float[3];
        bf16(() -> Gemm.gemm(false, true, 3, 1, 1, a, 0, 1, b, 0, 1, 0f, c, 0, 1));
        assertEquals(Float.intBitsToFloat(0x3F810000), c[0], "rounds up above half");
        assertEquals(Float.intBitsToFloat(0x3F800000), c[1], "tie to the even 0x3F80");
        assertEquals(Float.intBitsToFloat(0x3F820000), c[2], "tie to the even 0x3F82");
    }

    private static void bf16(Runnable product) {
        ScopedValue.where(Gemm.PRECISION, Precision.BF16).run(product);
    }
}

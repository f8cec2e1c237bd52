package sortedllama.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every regime of {@link Matmul} (fused matrix-vector, one read of each row for a few vectors, OpenBLAS sgemm on mapped
 * and on decoded tiles) against a double-precision product of the decoded weights.
 * Tolerance: 1e-5 * sum |w x| per output (float32 accumulation in a different order). For quantized weights the
 * reference multiplies the inputs rounded to 8-bit blocks, as every regime does ({@link ActivationBlocks}).
 */
class MatmulTest {

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (DType type : DType.values()) {
            for (int tokens : new int[] {1, 2, 3, 4, 5, 6, 7, Matmul.BLAS_MIN_TOKENS, 21}) b.add(Arguments.of(type, tokens, Matmul.Regime.AUTO));
            b.add(Arguments.of(type, 1, Matmul.Regime.BLAS));
            b.add(Arguments.of(type, 3, Matmul.Regime.BLAS));
            b.add(Arguments.of(type, 21, Matmul.Regime.ROW_REUSE));
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0}, {1} tokens, {2}")
    @MethodSource("cases")
    void matchesReference(DType type, int tokens, Matmul.Regime regime) {
        int rows = 67, cols = type.isQuantized() ? RandomBlocks.cols(type, 160) : 150;
        Tensor w = WeightRowsTest.randomMatrix(type, rows, cols, 11);
        float[] x = WeightRowsTest.randomValues(new Random(12), tokens * cols);
        float[] out = new float[tokens * rows];
        Matmul.apply(w, x, tokens, out, regime);

        assertProduct(w, RandomBlocks.asKernelsSeeThem(type, x), tokens, out);
    }

    static void assertProduct(Tensor w, float[] x, int tokens, float[] out) {
        int rows = w.rows(), cols = w.cols();
        float[] dense = Dequantize.all(w);
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < rows; r++) {
                double exact = 0, magnitude = 0;
                for (int c = 0; c < cols; c++) {
                    double p = (double) dense[r * cols + c] * x[t * cols + c];
                    exact += p;
                    magnitude += Math.abs(p);
                }
                assertEquals(exact, out[t * rows + r], 1e-5 * magnitude, w.name() + ": token " + t + " row " + r);
            }
        }
    }

    static Stream<Arguments> sharedInputCases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (DType type : DType.values()) for (int tokens : new int[] {1, 2, 3, 5, Matmul.BLAS_MIN_TOKENS}) b.add(Arguments.of(type, tokens));
        return b.build();
    }

    /** Matrices sharing an input, as one range over the cores: each gets its own product. */
    @ParameterizedTest(name = "{0}, {1} tokens")
    @MethodSource("sharedInputCases")
    void sharedInputGivesEachMatrixsOwnProduct(DType type, int tokens) {
        int cols = type.isQuantized() ? RandomBlocks.cols(type, 160) : 150;
        int[] rows = {300, 7, 601}; // enough rows that the range is split over the cores, in chunks that straddle matrices
        Tensor[] ws = new Tensor[rows.length];
        float[][] outs = new float[rows.length][];
        for (int m = 0; m < rows.length; m++) {
            ws[m] = WeightRowsTest.randomMatrix(type, rows[m], cols, 20 + m);
            outs[m] = new float[tokens * rows[m]];
        }
        float[] x = WeightRowsTest.randomValues(new Random(13), tokens * cols);
        Matmul.applyEach(ws, x, tokens, outs);
        float[] seen = RandomBlocks.asKernelsSeeThem(type, x);
        for (int m = 0; m < rows.length; m++) assertProduct(ws[m], seen, tokens, outs[m]);
    }

    /**
     * SwiGLU's gated pair gives the bits of its two products and then {@link Vec#swiglu}, in every regime, with
     * hidden sizes the cores' chunks cut inside row groups (300 rows) and gates large enough to pass exp's range.
     */
    @ParameterizedTest(name = "{0}, {1} tokens, {2}")
    @MethodSource("cases")
    void gatedIsItsProductsThenSwiglu(DType type, int tokens, Matmul.Regime regime) {
        int hidden = 300, cols = type.isQuantized() ? RandomBlocks.cols(type, 160) : 150;
        Tensor gate = WeightRowsTest.randomMatrix(type, hidden, cols, 31), up = WeightRowsTest.randomMatrix(type, hidden, cols, 32);
        float[] x = WeightRowsTest.randomValues(new Random(33), tokens * cols);
        for (int i = 0; i < x.length; i += 7) x[i] *= 400; // some gates far below -87, where silu underflows
        float[] wantGate = new float[tokens * hidden], wantUp = new float[tokens * hidden];
        Matmul.applyEach(new Tensor[] {gate, up}, x, tokens, new float[][] {wantGate, wantUp}, regime);
        Vec.swiglu(wantGate, wantGate, wantUp, 0, tokens * hidden);
        float[] out = new float[tokens * hidden], upOut = new float[tokens * hidden];
        Matmul.gated(gate, up, x, tokens, out, upOut, regime);
        Assertions.assertArrayEquals(wantUp, upOut, "up");
        Assertions.assertArrayEquals(wantGate, out, "gated");
    }

    /**
     * Batch invariance: below sgemm's range, each vector's product has exactly the bits it gets
     * alone, for every type and batch size (odd slice counts and a float tail included: 150 columns
     * are 9 slices of 16 and 6 more). Speculative verification relies on it to be lossless.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(DType.class)
    void fewVectorsGiveEachTheBitsItGetsAlone(DType type) {
        int rows = 67, cols = type.isQuantized() ? RandomBlocks.cols(type, 160) : 150;
        assertBatchInvariant(WeightRowsTest.randomMatrix(type, rows, cols, 14));
    }

    /** Every batch of 2 .. 15 vectors gives each vector the bits it gets alone. */
    static void assertBatchInvariant(Tensor w) {
        assertBatchInvariant(w, IntStream.range(2, Matmul.BLAS_MIN_TOKENS).toArray());
    }

    /** Each batch of the given sizes gives each vector the bits it gets alone. */
    static void assertBatchInvariant(Tensor w, int... batchSizes) {
        int rows = w.rows(), cols = w.cols();
        for (int tokens : batchSizes) {
            float[] x = WeightRowsTest.randomValues(new Random(tokens), tokens * cols);
            float[] together = new float[tokens * rows];
            Matmul.apply(w, x, tokens, together);
            for (int t = 0; t < tokens; t++) {
                float[] alone = new float[rows];
                Matmul.apply(w, Arrays.copyOfRange(x, t * cols, (t + 1) * cols), 1, alone);
                Assertions.assertArrayEquals(alone, Arrays.copyOfRange(together, t * rows, (t + 1) * rows),
                        tokens + " vectors, vector " + t);
            }
        }
    }
}

package sortedllama.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Our decoders and row dot products against llama.cpp's ggml library itself, on the fixtures in
 * src/test/resources/ggml (see tools/reference/make_ggml_fixtures.py): a 4 x 768 matrix per type
 * (normal values, a row with outliers, an all-positive row, a row of ~1e-5 values), quantized by
 * ggml_quantize_chunk and decoded by ggml's to_float, plus llama.cpp's own dot products.
 *
 * <p>Tolerances:
 * <ul>
 *   <li>decoding: bit-exact (the same float, with 0.0 == -0.0). ggml's decoders are a float16 scale
 *       times a small integer, or two float products and a difference, all correctly rounded in one
 *       order; our decoders compute the same expressions, so the same floats. A looser check at
 *       1e-6 of the block's largest magnitude (what a fused multiply-add could change) runs as well,
 *       so a failure says whether the difference is rounding or a wrong layout.
 *   <li>dot, float path: our kernels multiply float weights with the float activations, so
 *       |ours - exact| &lt;= 1e-5 * sum|w_i x_i|, exact being the float64 dot of ggml's decoded row.
 *   <li>dot, llama.cpp bound: whatever a kernel does, it must be as close to the exact dot as
 *       llama.cpp's own (which quantizes x to 8 bits for the integer types): 1.5 times the largest
 *       |llama - exact| / sum|w_i x_i| over the fixture's rows.
 * </ul>
 */
class GgmlFixturesTest {
    static final String[] TYPES = GgmlFixture.TYPES;
    static final double FLOAT_PATH_TOLERANCE = 1e-5;
    static final double BLOCK_RELATIVE_TOLERANCE = 1e-6;
    static final int X_OFFSET = 5; // x sits inside a larger array, to exercise xOff

    /** ggml's blocks; float types are compared in groups of 32 values. */
    static int group(DType t) {
        return t.isQuantized() ? t.blockSize : 32;
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("TYPES")
    void fixtureIsConsistent(String name) {
        GgmlFixture f = GgmlFixture.load(name);
        DType t = DType.fromGgmlId(f.ggmlId());
        assertNotNull(t, "ggml id " + f.ggmlId() + " unknown to DType");
        assertEquals(name, t.name(), "file " + name + " holds ggml type " + f.ggmlId());
        assertEquals(4, f.rows());
        assertEquals(768, f.cols());
        assertEquals(0, f.cols() % t.blockSize);
        assertEquals((long) f.cols() / t.blockSize * t.blockBytes, f.rowBytes(), "ggml_row_size vs DType.blockBytes");
        assertEquals(t.bytesFor(f.cols()), f.rowBytes());
        long expected = GgmlFixture.HEADER_BYTES + 4L * f.rows() * f.cols() * 2 + (long) f.rows() * f.rowBytes()
                + 4L * f.cols() + 4L * f.rows() + 8L * f.rows();
        assertEquals(expected, f.fileBytes(), "file size");
        for (int r = 0; r < f.rows(); r++) {
            double exact = 0;
            for (int i = 0; i < f.cols(); i++) exact += (double) f.dequantized()[r * f.cols() + i] * f.x()[i];
            assertEquals(f.exactDot()[r], exact, 1e-12 * f.absDot(r) + 1e-300, "recorded exact dot, row " + r);
        }
        // rows 0..2 have ordinary magnitudes: ggml's decoding is near the source, and so is llama.cpp's dot.
        // (Row 3, values ~1e-5, is not: Q6_K and IQ4_XS decode it to zeros, and Q5_K to a constant -dmin*min,
        // their float16 super-block scales having underflowed. Our decoders must still agree with ggml's there.)
        for (int r = 0; r < 3; r++) {
            float max = 0, err = 0;
            for (int i = 0; i < f.cols(); i++) {
                max = Math.max(max, Math.abs(f.src()[r * f.cols() + i]));
                err = Math.max(err, Math.abs(f.src()[r * f.cols() + i] - f.dequantized()[r * f.cols() + i]));
            }
            assertTrue(err <= 0.5f * max, name + " row " + r + ": decoded values far from the source (" + err + " vs max " + max + ")");
            assertTrue(Math.abs(f.llamaDot()[r] - f.exactDot()[r]) <= 0.01 * f.absDot(r), "llama.cpp's dot, row " + r);
        }
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("TYPES")
    void decodesExactlyAsGgml(String name) {
        GgmlFixture f = GgmlFixture.load(name);
        float[] ours = decodeAll(f, f.quantized());
        compare(f, ours, 0, "Dequantize.values");
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = f.tensor(arena, f.quantized());
            float[] row = new float[f.cols()];
            float[] viaRows = new float[f.rows() * f.cols()];
            for (int r = 0; r < f.rows(); r++) {
                WeightRows.decode(w, r, row);
                System.arraycopy(row, 0, viaRows, r * f.cols(), f.cols());
            }
            compare(f, viaRows, 0, "WeightRows.decode");
        }
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("TYPES")
    void decodesWithinRoundingOfGgml(String name) {
        GgmlFixture f = GgmlFixture.load(name);
        compare(f, decodeAll(f, f.quantized()), BLOCK_RELATIVE_TOLERANCE, "Dequantize.values");
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("TYPES")
    void dotIsAFloatDotOfTheDecodedRow(String name) {
        GgmlFixture f = GgmlFixture.load(name);
        checkDots(f, FLOAT_PATH_TOLERANCE, "float-path tolerance " + FLOAT_PATH_TOLERANCE);
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("TYPES")
    void dotIsAsCloseAsLlamaCpps(String name) {
        GgmlFixture f = GgmlFixture.load(name);
        double worst = 0;
        for (int r = 0; r < f.rows(); r++) {
            double s = f.absDot(r);
            if (s > 0) worst = Math.max(worst, Math.abs(f.llamaDot()[r] - f.exactDot()[r]) / s);
        }
        checkDots(f, 1.5 * worst, String.format("1.5 x llama.cpp's own relative error %.3e", worst));
    }

    /** A byte changed inside one block changes that block's decoded values and no others. */
    @ParameterizedTest(name = "{0}")
    @FieldSource("TYPES")
    void corruptingABlockChangesItsValues(String name) {
        GgmlFixture f = GgmlFixture.load(name);
        DType t = f.type();
        int blockBytes = t.blockBytes, blockValues = t.blockSize, block = 1; // row 0's second block (rows are 3 blocks of the K types)
        for (int at : new int[] {0, blockBytes / 2, blockBytes - 1}) {
            byte[] bad = f.quantized().clone();
            int pos = block * blockBytes + at;
            bad[pos] ^= (byte) 0x5A;
            float[] ours = decodeAll(f, bad);
            float[] good = decodeAll(f, f.quantized());
            int changed = 0;
            for (int i = 0; i < ours.length; i++) {
                boolean inBlock = i / blockValues == block;
                boolean same = Float.floatToIntBits(ours[i]) == Float.floatToIntBits(good[i]);
                if (!inBlock && !same) fail(name + ": byte " + pos + " changed value " + i + " outside its block");
                if (inBlock && !same) changed++;
            }
            assertTrue(changed > 0, name + ": changing byte " + at + " of a block left its values as they were");
        }
    }

    static float[] decodeAll(GgmlFixture f, byte[] bytes) {
        float[] out = new float[f.rows() * f.cols()];
        MemorySegment seg = MemorySegment.ofArray(bytes);
        for (int r = 0; r < f.rows(); r++) {
            Dequantize.values(f.type(), seg.asSlice((long) r * f.rowBytes(), f.rowBytes()), f.cols(), out, r * f.cols());
        }
        return out;
    }

    /** Ours against ggml's decoded values, per block: exact if tolerance is 0, else relative to the block's max. */
    static void compare(GgmlFixture f, float[] ours, double tolerance, String what) {
        float[] ggml = f.dequantized();
        int g = group(f.type()), mismatches = 0;
        String first = null;
        for (int b = 0; b < ggml.length / g; b++) {
            float max = 0;
            for (int j = 0; j < g; j++) max = Math.max(max, Math.abs(ggml[b * g + j]));
            for (int j = 0; j < g; j++) {
                int i = b * g + j;
                float want = ggml[i], got = ours[i];
                boolean ok = tolerance == 0 ? got == want : Math.abs(got - want) <= tolerance * max;
                if (!ok) {
                    mismatches++;
                    if (first == null) {
                        first = String.format("row %d col %d (block %d of the row, value %d): ggml %s, ours %s, block max %s",
                                i / f.cols(), i % f.cols(), (i % f.cols()) / g, j, want, got, max);
                    }
                }
            }
        }
        if (mismatches > 0) {
            fail(String.format("%s %s: %d of %d values differ from ggml's (%s); first at %s",
                    f.name(), what, mismatches, ggml.length, tolerance == 0 ? "bit-exact" : "tolerance " + tolerance + " x block max", first));
        }
    }

    static void checkDots(GgmlFixture f, double relTolerance, String what) {
        float[] x = new float[f.cols() + 2 * X_OFFSET];
        Arrays.fill(x, Float.NaN); // outside [xOff, xOff+cols) must not be read
        System.arraycopy(f.x(), 0, x, X_OFFSET, f.cols());
        StringBuilder failures = new StringBuilder();
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = f.tensor(arena, f.quantized());
            for (int r = 0; r < f.rows(); r++) {
                float ours = WeightRows.dot(w, r, x, X_OFFSET);
                double exact = f.exactDot()[r], s = f.absDot(r), err = Math.abs(ours - exact);
                if (!(err <= relTolerance * s)) {
                    failures.append(String.format("%n  row %d: ours %s, exact %s, llama.cpp %s, |ours-exact|/sum|wx| = %.3e",
                            r, ours, exact, f.llamaDot()[r], s > 0 ? err / s : Double.POSITIVE_INFINITY));
                }
            }
        }
        if (!failures.isEmpty()) fail(f.name() + " WeightRows.dot outside " + what + ":" + failures);
    }
}

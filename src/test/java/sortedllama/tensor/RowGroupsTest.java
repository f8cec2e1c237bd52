package sortedllama.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import sortedllama.io.ModelFile;
import sortedllama.io.ModelLoader;

/**
 * Matrices repacked eight rows (Q8_0: sixteen) at a time for the native decoding kernels ({@link NativeKernels#withRowGroups}):
 * the same products as the reference (tolerance as in {@link MatmulTest}), batch-invariant, and the same bits
 * for a row whatever range of rows a core is given.
 */
class RowGroupsTest {
    static final Set<DType> GROUPED = EnumSet.of(DType.Q8_0, DType.Q4_0, DType.IQ4_NL, DType.Q4_K);

    @BeforeEach
    void nativeKernels() {
        Assumptions.assumeTrue(NativeKernels.available(), "native kernels not in use: " + NativeKernels.why());
    }

    /** Rows per group: Q8_0's groups are AMX tiles of 16 rows (kernels.c, "Q8_0's tile groups"). */
    static int height(DType type) {
        return type == DType.Q8_0 ? 16 : 8;
    }

    static Tensor grouped(DType type, int rows, int cols, long seed) {
        Tensor w = NativeKernels.withRowGroups(WeightRowsTest.randomMatrix(type, rows, cols, seed), WeightRowsTest.ARENA);
        assertNotNull(w.rowGroups(), type + " " + w.shapeString() + " was not repacked");
        return w;
    }

    @Test
    void onlyTheGroupedTypesAndWholeGroupsAreRepacked() {
        for (DType type : DType.values()) {
            int cols = type.isQuantized() ? RandomBlocks.cols(type, 64) : 64;
            Tensor eight = NativeKernels.withRowGroups(WeightRowsTest.randomMatrix(type, 16, cols, 1), WeightRowsTest.ARENA);
            assertEquals(GROUPED.contains(type), eight.rowGroups() != null, type.toString());
            assertNull(NativeKernels.withRowGroups(WeightRowsTest.randomMatrix(type, 12, cols, 1), WeightRowsTest.ARENA).rowGroups(),
                    type + ": 12 rows are not whole groups of 8");
            assertEquals(GROUPED.contains(type) && type != DType.Q8_0,
                    NativeKernels.withRowGroups(WeightRowsTest.randomMatrix(type, 24, cols, 1), WeightRowsTest.ARENA).rowGroups() != null,
                    type + ": 24 rows are whole groups of 8, not of Q8_0's 16");
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "IQ4_NL", "Q4_K"})
    void productsMatchTheReference(DType type) {
        int cols = RandomBlocks.cols(type, 160);
        // 88: 5.5 tiles of 16 rows, the last group of 8 takes sgemm's path in prefill (Q8_0's groups are whole tiles)
        for (int r : new int[] {type == DType.Q8_0 ? 96 : 88, 80}) {
            Tensor w = grouped(type, r, cols, 11);
            for (int tokens : new int[] {1, 2, 3, 7, Matmul.BLAS_MIN_TOKENS - 1, Matmul.BLAS_MIN_TOKENS, 21, 64, 100}) {
                float[] x = WeightRowsTest.randomValues(new Random(12 + tokens), tokens * cols);
                float[] out = new float[tokens * r];
                Matmul.apply(w, x, tokens, out);
                MatmulTest.assertProduct(w, RandomBlocks.asKernelsSeeThem(type, x), tokens, out);
                Matmul.apply(w, x, tokens, out, Matmul.Regime.BLAS); // AMX (or sgemm) for any number of vectors
                MatmulTest.assertProduct(w, RandomBlocks.asKernelsSeeThem(type, x), tokens, out);
            }
        }
    }

    /** Q6_K is not repacked; prefill multiplies its rows on AMX tiles from the file's layout (sub-blocks of 16). */
    @Test
    void q6kPrefillMatchesTheReference() {
        int cols = RandomBlocks.cols(DType.Q6_K, 512);
        Tensor w = WeightRowsTest.randomMatrix(DType.Q6_K, 48, cols, 5);
        for (int tokens : new int[] {1, 3, 17, 64}) {
            float[] x = WeightRowsTest.randomValues(new Random(6 + tokens), tokens * cols);
            float[] out = new float[tokens * w.rows()];
            Matmul.apply(w, x, tokens, out, Matmul.Regime.BLAS); // AMX where the CPU has it, else sgemm
            MatmulTest.assertProduct(w, RandomBlocks.asKernelsSeeThem(DType.Q6_K, x), tokens, out);
        }
    }

    /** On a CPU with AMX-INT8 (the project's machines), prefill of grouped matrices takes the AMX tiles. */
    @Test
    void prefillUsesAmxWhereTheCpuHasIt() throws IOException {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        Assumptions.assumeTrue(Files.isReadable(cpuinfo) && Files.readString(cpuinfo).contains("amx_int8"),
                "this CPU has no AMX-INT8");
        Assumptions.assumeTrue(Boolean.parseBoolean(System.getProperty("sortedllama.amx", "true")), "AMX turned off");
        for (DType type : GROUPED) {
            assertTrue(NativeKernels.amxServes(grouped(type, 32, RandomBlocks.cols(type, 64), 1)), "AMX-INT8 is present but not used for " + type);
        }
        assertTrue(NativeKernels.amxServes(WeightRowsTest.randomMatrix(DType.Q6_K, 32, 256, 1)), "AMX-INT8 is present but not used for Q6_K");
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "IQ4_NL", "Q4_K"})
    void fewVectorsGiveEachTheBitsItGetsAlone(DType type) {
        MatmulTest.assertBatchInvariant(grouped(type, 5 * height(type), RandomBlocks.cols(type, 96), 14));
    }

    /**
     * Q8_0, Q4_0 and IQ4_NL on AMX tiles give each vector the bits the per-row kernel gives it alone, at
     * every count (a partial tile of 4 or 7 vectors, one and two whole tiles and their ragged ends, where
     * {@link Matmul#apply} takes AMX): a batch of decoding steps may take either kernel, and a prompt's
     * prefill gives the states its tokens would get one at a time.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "IQ4_NL"})
    void amxGivesEachVectorThePerRowKernelsBits(DType type) {
        Tensor w = grouped(type, 48, RandomBlocks.cols(type, 96), 21);
        Assumptions.assumeTrue(NativeKernels.amxMatchesRows(w), "AMX-INT8 not available here");
        MatmulTest.assertBatchInvariant(w, Matmul.amxMinTokens(type), 7, 16, 17, 33);
    }

    /**
     * Where a grouped matrix's products are the same bits at every count ({@link Matmul#invariantAtAnyCount}: AMX
     * with the per-row bits, or the per-row kernels at every count on CPUs without AMX), a prompt's worth of vectors
     * (whole and ragged runs of the kernels' 8, 4 and 2 vectors at once) gives each vector the bits it gets alone.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "IQ4_NL", "Q4_K"})
    void invariantMatricesGiveEachVectorItsBitsAtPrefillsCounts(DType type) {
        Tensor w = grouped(type, 48, RandomBlocks.cols(type, 96), 23);
        Assumptions.assumeTrue(Matmul.invariantAtAnyCount(w), "AMX serves " + type + " here with sums in its own order");
        MatmulTest.assertBatchInvariant(w, Matmul.BLAS_MIN_TOKENS, 17, 23, 33, 64);
    }

    /** A core's share of rows need not start or end on a group: rows cut from a group get the bits they get whole. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "IQ4_NL", "Q4_K"})
    void anyRangeOfRowsGivesTheSameBits(DType type) {
        int rows = 48, cols = RandomBlocks.cols(type, 128), tokens = 2;
        Tensor w = grouped(type, rows, cols, 15);
        float[] x = WeightRowsTest.randomValues(new Random(16), tokens * cols);
        MemorySegment xq = NativeKernels.input(NativeKernels.activationBlock(type), x, cols, tokens);
        float[] whole = new float[tokens * rows];
        NativeKernels.matvecGrouped(w, 0, rows, xq, tokens, whole);
        for (int[] range : new int[][] {{3, 17}, {8, 16}, {13, 14}, {0, 5}, {41, 48}}) {
            float[] part = new float[tokens * rows];
            NativeKernels.matvecGrouped(w, range[0], range[1], xq, tokens, part);
            for (int t = 0; t < tokens; t++) {
                for (int r = 0; r < rows; r++) {
                    boolean inside = r >= range[0] && r < range[1];
                    assertEquals(inside ? whole[t * rows + r] : 0f, part[t * rows + r], 0f, "rows " + Arrays.toString(range) + ", row " + r);
                }
            }
        }
    }

    /**
     * Q8_0's prefill-sized products (two groups at a time from 48 vectors on, four vectors at once, ragged ends of 1-3
     * vectors) give each vector the bits it gets alone, for ranges of rows that start, end or both inside a group.
     */
    @Test
    void pairsOfGroupsGiveEachVectorItsBits() {
        int rows = 80, cols = RandomBlocks.cols(DType.Q8_0, 96);
        Tensor w = grouped(DType.Q8_0, rows, cols, 17);
        for (int tokens : new int[] {48, 49, 50, 51, 64}) {
            float[] x = WeightRowsTest.randomValues(new Random(tokens), tokens * cols);
            // NativeKernels.quantize, not input: input's buffer is this thread's, and the vectors alone would overwrite it
            MemorySegment xq = MemorySegment.ofArray(NativeKernels.quantize(32, x, cols, tokens));
            for (int[] range : new int[][] {{0, 80}, {3, 80}, {16, 64}, {5, 70}, {0, 47}}) {
                float[] together = new float[tokens * rows];
                NativeKernels.matvecGrouped(w, range[0], range[1], xq, tokens, together);
                for (int t = 0; t < tokens; t++) {
                    float[] alone = new float[rows];
                    MemorySegment one = MemorySegment.ofArray(NativeKernels.quantize(32, Arrays.copyOfRange(x, t * cols, (t + 1) * cols), cols, 1));
                    NativeKernels.matvecGrouped(w, 0, rows, one, 1, alone);
                    for (int r = 0; r < rows; r++) {
                        boolean inside = r >= range[0] && r < range[1];
                        assertEquals(inside ? alone[r] : 0f, together[t * rows + r], 0f, tokens + " vectors, rows " + Arrays.toString(range) + ", vector " + t + ", row " + r);
                    }
                }
            }
        }
    }

    /** Prefill's expansion to floats reads the row groups, and gives the scalar decoder's floats bit for bit. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "IQ4_NL", "Q4_K"})
    void expandsRowGroupsBitForBitAsTheScalarDecoder(DType type) {
        NativeKernelsTest.assertExpandsAsTheScalarDecoder(grouped(type, 3 * height(type), RandomBlocks.cols(type, 96), 17), 3);
    }

    /** A llama.cpp Q4_0 file: its layer matrices are repacked when loaded, its Q6_K embedding is not. */
    @Test
    void aLoadedModelsMatricesAreRepacked() {
        try (ModelFile f = ModelLoader.open(Path.of("src/test/resources/llamacpp/Q4_0.gguf"))) {
            assertNotNull(f.tensors().get("blk.0.attn_q.weight").rowGroups(), "attn_q");
            assertNotNull(f.tensors().get("blk.0.ffn_down.weight").rowGroups(), "ffn_down");
            Tensor embedding = f.tensors().get("token_embd.weight");
            assertEquals(DType.Q6_K, embedding.type());
            assertNull(embedding.rowGroups());
        }
    }
}

package sortedllama.tensor;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code out[t, r] = sum_c x[t, c] * W[r, c]} for a weight matrix W [rows, cols] in any {@link DType}
 * and {@code tokens} input vectors stored one after another. Three regimes:
 * <ul>
 *   <li>one vector (decoding): fused kernels (native, or the Vector API's), rows split over the cores;
 *       matrices with {@link Tensor#rowGroups} a group of rows (eight; Q8_0: sixteen) at a time;</li>
 *   <li>a few vectors (a batch of decoding steps, speculative verification): each slice of a row is
 *       read and expanded once, and multiplied with every vector while it is in registers; or, from
 *       {@link #amxMinTokens} on, AMX tiles for Q8_0, Q4_0 and IQ4_NL, whose AMX products have the
 *       per-row kernel's bits ({@link NativeKernels#amxMatchesRows});</li>
 *   <li>many vectors (prefill, training): AMX-INT8 tiles for matrices with row groups on CPUs that have
 *       them; on CPUs without, the row groups' own kernels ({@link #rowsAtAnyCount}); else OpenBLAS sgemm,
 *       straight on the mapped weights when they are
 *       float32, else on tiles decoded to float32. OpenBLAS runs single-threaded on slices of rows that
 *       our own workers share out: its thread pool keeps spinning after each product, which halved
 *       the speed of the Java kernels running between products.</li>
 * </ul>
 * The first two are batch-invariant: each vector's result has the bits it has alone
 * ({@link WeightRows#dotTokens}), and so is the third where it runs on the row groups' kernels; sgemm sums
 * in its own order, and so do AMX's products of Q4_K and Q6_K.
 */
public final class Matmul {
    /** From this many vectors on, sgemm beats reading each row once for all of them (measured with bench matmul). */
    public static final int BLAS_MIN_TOKENS = 16;
    /**
     * From this many vectors on, AMX tiles beat the per-row kernels for a matrix whose AMX products
     * have the per-row bits ({@link NativeKernels#amxMatchesRows}; measured with bench matmul on a
     * model's worth of matrices): Q8_0's tiles are read as they lie, so they pay from 3 vectors;
     * Q4_0's are built per product from its row groups, which pays from 5 (IQ4_NL's are built the
     * same way and take the same threshold; bench matmul cannot make IQ4_NL matrices to time).
     */
    public static int amxMinTokens(DType type) {
        return type == DType.Q8_0 ? 3 : 5;
    }
    /**
     * Whether w's products (regime AUTO) give each vector the bits it gets alone at every number of
     * vectors, prefill's included: where AMX serves w with tiles that have the per-row kernels' bits,
     * they take over from {@link #amxMinTokens} on and never hand over to sgemm; where AMX does not
     * serve w, the per-row kernels keep it ({@link #rowsAtAnyCount}).
     */
    public static boolean invariantAtAnyCount(Tensor w) {
        return NativeKernels.amxMatchesRows(w) || rowsAtAnyCount(w);
    }

    /**
     * Whether the per-row kernels keep w at every number of vectors, prefill's included, instead of
     * handing it to sgemm: matrices in row groups (8-bit products with VNNI) where AMX does not take
     * them, on CPUs without AMX. sgemm would first expand the weights to floats; on an AMD EPYC (Zen 5,
     * 2 cores) the row groups' kernels beat that 2-9x at every count measured, 16 to 512 vectors, on
     * 768 x 768 and 5632 x 2048 matrices in Q8_0, Q4_0 and Q4_K (BENCHMARKS.md, "On a CPU without AMX").
     */
    static boolean rowsAtAnyCount(Tensor w) {
        return w.rowGroups() != null && !NativeKernels.amxServes(w);
    }

    /**
     * Rows per grain of a product's range: two of the largest row groups (16 rows for Q8_0), which Q8_0's prefill
     * kernel takes two at a time. A group cut between two shares would be computed whole by both.
     */
    private static final int ROW_GRAIN = 32;

    /** Below this many multiply-adds per chunk a hand-off to another core costs more than it saves. */
    private static final int MIN_WORK_PER_THREAD = 1 << 15;

    private Matmul() {}

    /** How a product is computed: chosen by the number of vectors, or forced (for {@code bench matmul}). */
    public enum Regime { AUTO, ROW_REUSE, BLAS }

    public static void apply(Tensor w, float[] x, int tokens, float[] out) {
        apply(w, x, tokens, out, Regime.AUTO);
    }

    public static void apply(Tensor w, float[] x, int tokens, float[] out, Regime regime) {
        applyEach(new Tensor[] {w}, x, tokens, new float[][] {out}, regime);
    }

    /**
     * {@code outs[m] = ws[m] x} for matrices that share their input (a layer's Q, K and V; its gate
     * and up projections): below sgemm's range their rows are shared out over the cores as one range,
     * one hand-off instead of one per matrix (each hand-off costs about a microsecond, and a decoding
     * step of a small model multiplies matrices that take only a few); in it, the input is rounded
     * to 8-bit blocks once for the matrices that take it so.
     */
    public static void applyEach(Tensor[] ws, float[] x, int tokens, float[][] outs) {
        applyEach(ws, x, tokens, outs, Regime.AUTO);
    }

    public static void applyEach(Tensor[] ws, float[] x, int tokens, float[][] outs, Regime regime) {
        for (Tensor w : ws) {
            if (w.cols() != ws[0].cols()) throw new IllegalArgumentException("matrices of one input must have the same columns: " + w.shapeString());
        }
        if (usesBlas(regime, tokens)) {
            many(ws, x, tokens, outs, regime);
        } else {
            fewVectors(ws, x, tokens, outs, regime);
        }
    }

    /**
     * SwiGLU's gated pair: {@code out = silu(gate x) * (up x)} ({@link Vec#swiglu}), with up x left in
     * {@code upOut}. Where both products run on the per-row kernels, each chunk of hidden units computes
     * its rows of both and gates them at once, while they are in its core's cache; gated in a pass of
     * their own, the values that the other core had written crossed over first. In the batched server's
     * passes with a prompt chunk (70 vectors, stories110M in Q8_0, AMD EPYC with 2 cores, warmed up) the
     * feed-forward took 12.3-13.9 ms this way against 13.6-15.3 (two alternating pairs of runs).
     * Elsewhere the products, then {@link Ops#swiglu}; the same bits either way.
     */
    public static void gated(Tensor gate, Tensor up, float[] x, int tokens, float[] out, float[] upOut, Regime regime) {
        int hidden = gate.rows();
        if (up.rows() != hidden || up.cols() != gate.cols()) throw new IllegalArgumentException("gate and up must have one shape: " + gate.shapeString() + ", " + up.shapeString());
        if (!onRowKernels(gate, tokens, regime) || !onRowKernels(up, tokens, regime)) {
            applyEach(new Tensor[] {gate, up}, x, tokens, new float[][] {out, upOut}, regime);
            Ops.swiglu(out, out, upOut, tokens * hidden);
            return;
        }
        rowAtATime(new Tensor[] {gate, up}, x, tokens, new float[][] {out, upOut}, (lo, hi) -> {
            for (int t = 0; t < tokens; t++) Vec.swiglu(out, out, upOut, t * hidden + lo, t * hidden + hi);
        });
    }

    /** Whether applyEach gives w's product with this many vectors in this regime to the per-row kernels ({@link #rowAtATime}). */
    private static boolean onRowKernels(Tensor w, int tokens, Regime regime) {
        if (usesBlas(regime, tokens)) return regime == Regime.AUTO && !NativeKernels.amxServes(w) && rowsAtAnyCount(w);
        return !(tokens >= amxMinTokens(w.type()) && NativeKernels.amxMatchesRows(w));
    }

    /**
     * Fewer vectors than sgemm needs, batch-invariant: AMX tiles for the matrices whose AMX products
     * have the per-row kernels' bits, once there are enough vectors to fill a share of a tile; the
     * per-row kernels for the rest.
     */
    private static void fewVectors(Tensor[] ws, float[] x, int tokens, float[][] outs, Regime regime) {
        List<Integer> onAmx = new ArrayList<>(), byRows = new ArrayList<>();
        for (int m = 0; m < ws.length; m++) (onRowKernels(ws[m], tokens, regime) ? byRows : onAmx).add(m);
        amx(pick(ws, onAmx, Tensor[]::new), x, tokens, pick(outs, onAmx, float[][]::new));
        if (!byRows.isEmpty()) rowAtATime(pick(ws, byRows, Tensor[]::new), x, tokens, pick(outs, byRows, float[][]::new), null);
    }

    /** a[i] for the indices i, in their order. */
    private static <T> T[] pick(T[] a, List<Integer> indices, java.util.function.IntFunction<T[]> make) {
        T[] out = make.apply(indices.size());
        for (int i = 0; i < out.length; i++) out[i] = a[indices.get(i)];
        return out;
    }

    private static boolean usesBlas(Regime regime, int tokens) {
        return regime == Regime.BLAS || (regime == Regime.AUTO && tokens >= BLAS_MIN_TOKENS);
    }

    /**
     * The float input the Java kernels and sgemm multiply {@code w} with: x, or for quantized weights x
     * rounded to 8-bit blocks ({@link ActivationBlocks}), made once per block size into {@code byBlock}.
     */
    private static float[] roundedInput(Tensor w, float[] x, int tokens, Map<Integer, float[]> byBlock) {
        int block = ActivationBlocks.blockFor(w.type());
        if (block == 0) return x;
        return byBlock.computeIfAbsent(block, b -> ActivationBlocks.roundTrip(b, x, tokens * w.cols()));
    }

    /**
     * Many vectors: on AMX tiles where {@link NativeKernels#amxServes} (8-bit products, as llama.cpp
     * computes prefill on these CPUs: several times sgemm's rate), all of them in one hand-off; else by
     * the per-row kernels where {@link #onRowKernels} (in regime AUTO, where {@link #rowsAtAnyCount});
     * else sgemm; each input made once per kind for the matrices that share it. Regime BLAS is bench
     * matmul's forced sgemm column, which compares the two.
     */
    private static void many(Tensor[] ws, float[] x, int tokens, float[][] outs, Regime regime) {
        Map<Integer, float[]> rounded = new HashMap<>();
        List<Integer> onAmx = new ArrayList<>(), byRows = new ArrayList<>();
        for (int m = 0; m < ws.length; m++) {
            if (NativeKernels.amxServes(ws[m])) onAmx.add(m);
            else if (onRowKernels(ws[m], tokens, regime)) byRows.add(m);
            else sgemm(ws[m], roundedInput(ws[m], x, tokens, rounded), tokens, outs[m]);
        }
        amx(pick(ws, onAmx, Tensor[]::new), x, tokens, pick(outs, onAmx, float[][]::new));
        if (!byRows.isEmpty()) rowAtATime(pick(ws, byRows, Tensor[]::new), x, tokens, pick(outs, byRows, float[][]::new), null);
    }

    /**
     * ws's products on AMX tiles (matrices of one input: a layer's Q, K and V), the row tiles of all
     * of them shared out over the cores as one range: one hand-off, and one wait for the last chunk,
     * instead of one per matrix. The input is laid out once per {@link NativeKernels#amxLayout}.
     */
    private static void amx(Tensor[] ws, float[] x, int tokens, float[][] outs) {
        if (ws.length == 0) return;
        Map<Integer, MemorySegment> byLayout = new HashMap<>();
        MemorySegment[] inputs = new MemorySegment[ws.length];
        int[] firstTile = new int[ws.length + 1]; // matrix m holds row tiles firstTile[m] .. firstTile[m+1]-1 of the joint range
        for (int m = 0; m < ws.length; m++) {
            Tensor w = ws[m];
            inputs[m] = byLayout.computeIfAbsent(NativeKernels.amxLayout(w.type()), k -> NativeKernels.amxInput(w.type(), x, w.cols(), tokens));
            firstTile[m + 1] = firstTile[m] + w.rows() / 16;
        }
        Parallel.forRange(firstTile[ws.length], 1, (from, to) -> {
            for (int m = 0; m < ws.length; m++) {
                int lo = Math.max(from, firstTile[m]) - firstTile[m], hi = Math.min(to, firstTile[m + 1]) - firstTile[m];
                if (lo < hi) NativeKernels.matmulAmx(ws[m], lo, hi, inputs[m], tokens, outs[m]);
            }
        });
    }

    private static void sgemm(Tensor w, float[] x, int tokens, float[] out) {
        if (w.type() == DType.F32) {
            int rows = w.rows(), cols = w.cols();
            MemorySegment xSeg = MemorySegment.ofArray(x), outSeg = MemorySegment.ofArray(out);
            Parallel.forRange(rows, Math.max(16, MIN_WORK_PER_THREAD / (cols * tokens)), (from, to) -> Blas.sgemm(tokens, to - from,
                    cols, 1f, xSeg, cols, w.data().asSlice(4L * from * cols, 4L * (to - from) * cols), cols, true, 0f,
                    outSeg.asSlice(4L * from), rows));
        } else {
            blasOnDecodedTiles(w, x, tokens, out);
        }
    }

    /**
     * The fused kernels, one row at a time (with every vector while the row is in registers), the
     * rows of all the matrices shared out over the cores as one range; or, with {@code afterRows}
     * (matrices of as many rows), rows lo..hi-1 of every matrix in one chunk, then {@code afterRows}
     * on them on the same core.
     */
    private static void rowAtATime(Tensor[] ws, float[] x, int tokens, float[][] outs, Parallel.RangeBody afterRows) {
        // matrix m holds rows start[m] .. end[m]-1 of the range shared out: one after another, or all at once with afterRows
        int[] start = new int[ws.length], end = new int[ws.length];
        for (int m = 0; m < ws.length; m++) {
            start[m] = afterRows != null || m == 0 ? 0 : end[m - 1];
            end[m] = start[m] + ws[m].rows();
        }
        MemorySegment[] nativeInputs = new MemorySegment[ws.length];
        float[][] javaInputs = new float[ws.length][];
        inputs(ws, x, tokens, nativeInputs, javaInputs);
        Parallel.forRange(end[ws.length - 1], Math.max(1, MIN_WORK_PER_THREAD / (ws[0].cols() * tokens)), ROW_GRAIN, (from, to) -> {
            for (int m = 0; m < ws.length; m++) {
                int lo = Math.max(from, start[m]) - start[m], hi = Math.min(to, end[m]) - start[m];
                if (lo >= hi) continue;
                Tensor w = ws[m];
                float[] out = outs[m];
                if (nativeInputs[m] == null) {
                    float[] in = javaInputs[m];
                    for (int r = lo; r < hi; r++) {
                        if (tokens == 1) out[r] = WeightRows.dot(w, r, in, 0);
                        else WeightRows.dotTokens(w, r, in, tokens, out, w.rows());
                    }
                } else if (w.rowGroups() != null) {
                    NativeKernels.matvecGrouped(w, lo, hi, nativeInputs[m], tokens, out);
                } else {
                    NativeKernels.matvec(w, lo, hi, nativeInputs[m], tokens, out);
                }
            }
            if (afterRows != null) afterRows.run(from, to);
        });
    }

    /**
     * Each matrix's input: for the native kernels as they take it (float32, or 8-bit blocks), else for
     * the Java kernels (float32, rounded to 8-bit blocks for quantized weights: {@link ActivationBlocks});
     * made once per kind and shared by the matrices that take the same.
     */
    private static void inputs(Tensor[] ws, float[] x, int tokens, MemorySegment[] nativeInputs, float[][] javaInputs) {
        Map<Integer, MemorySegment> nativeByBlock = new HashMap<>();
        Map<Integer, float[]> javaByBlock = new HashMap<>();
        for (int m = 0; m < ws.length; m++) {
            int cols = ws[m].cols(), block = NativeKernels.activationBlock(ws[m].type());
            if (block > 0) nativeInputs[m] = nativeByBlock.computeIfAbsent(block, b -> NativeKernels.input(b, x, cols, tokens));
            else javaInputs[m] = roundedInput(ws[m], x, tokens, javaByBlock);
        }
    }

    /**
     * Rows expanded and multiplied in one go: about 256 KiB of floats, so that sgemm reads them from
     * L2, but at least 128 rows: each sgemm call packs the whole input again, which thinner slabs
     * of wide rows do not amortise (2048 x 5632 Q4_0 with 256 vectors: 140 ms at 11 rows per slab,
     * against 38 ms for float32 weights).
     */
    private static final int SLAB_FLOATS = 1 << 16, MIN_SLAB_ROWS = 128;
    private static final ThreadLocal<float[]> SLAB = ThreadLocal.withInitial(() -> new float[SLAB_FLOATS]);

    /**
     * sgemm on weights that are not float32: each worker expands a slab of rows to floats and
     * multiplies it at once, while it is still in its core's cache.
     */
    private static void blasOnDecodedTiles(Tensor w, float[] x, int tokens, float[] out) {
        int rows = w.rows(), cols = w.cols();
        int slabRows = Math.min(rows, Math.max(MIN_SLAB_ROWS, SLAB_FLOATS / cols));
        int slabs = (rows + slabRows - 1) / slabRows;
        boolean nativeExpansion = w.type().isQuantized() && NativeKernels.activationBlock(w.type()) > 0;
        MemorySegment xSeg = MemorySegment.ofArray(x), outSeg = MemorySegment.ofArray(out);
        Parallel.forRange(slabs, 1, (from, to) -> {
            float[] slab = SLAB.get();
            if (slab.length < slabRows * cols) SLAB.set(slab = new float[slabRows * cols]);
            MemorySegment slabSeg = MemorySegment.ofArray(slab);
            for (int s = from; s < to; s++) {
                int r0 = s * slabRows, n = Math.min(slabRows, rows - r0);
                if (nativeExpansion) {
                    NativeKernels.dequantize(w, r0, r0 + n, slabSeg);
                } else {
                    float[] row = new float[cols];
                    for (int r = 0; r < n; r++) {
                        WeightRows.decode(w, r0 + r, row);
                        System.arraycopy(row, 0, slab, r * cols, cols);
                    }
                }
                Blas.sgemm(tokens, n, cols, 1f, xSeg, cols, slabSeg, cols, true, 0f, outSeg.asSlice(4L * r0), rows);
            }
        });
    }
}

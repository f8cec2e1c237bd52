package sortedllama.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * bfloat16 values packed two to an int, and attention's two loops over them (scores of 16 keys at
 * once, and {@link Vec#weightedSum}): a KV cache in 16 bits reads half the bytes, and attention
 * over a long context is bound by reading the cache.
 *
 * <p>Why this layout: widening 16-bit lanes to 32 (a short vector cast to an int vector) cost more
 * than the bytes it saved (measured: one head over 150 positions, cache-resident, 3.3 us against
 * 1.2 us for float32; IEEE float16's rebiasing 8.2 us). Here each run of 32 values is stored as 16
 * ints, int j holding value j in its low half and value j + 16 in its high half, so one 512-bit
 * load and one shift (low) or one mask (high) give 16 floats each, in their order. Runs are
 * therefore 32 values: a packed row's length is a multiple of 32.
 *
 * <p>Values are read one row at a time ({@link #weightedSum}: the arithmetic after widening is
 * Vec's, in the same order, so the results are the bits Vec's loop gives on the widened values).
 * Keys are read sixteen at a time ({@link #dots16}): a block of 16 keys holds each pair index's
 * ints of the 16 keys side by side (the key's row as {@link #pack} packs it, written down a
 * column), so one load gives one coordinate of 16 keys and the 16 dot products are sixteen lanes
 * of one accumulation, with no sum across lanes. Summing lanes in Vec's tree order, as a row-major
 * layout needs, cost twice the weighted sum's time (perf, 8 requests on 150 positions).
 */
public final class Bf16Pairs {
    /** Values per packed run. */
    public static final int RUN = 32;
    /** Keys per block, read at once by {@link #dots16}. */
    public static final int KEYS_PER_BLOCK = 16;

    private static final VectorSpecies<Float> S = Vec.S;
    private static final int L = Vec.L;
    private static final VectorSpecies<Integer> IS = IntVector.SPECIES_512;
    /** Where a run's ints go in a block of keys, from its first: int i at KEYS_PER_BLOCK * i. */
    private static final int[] COLUMN = new int[RUN / 2], ROW = new int[RUN / 2];

    static {
        for (int i = 0; i < COLUMN.length; i++) { COLUMN[i] = KEYS_PER_BLOCK * i; ROW[i] = i; }
    }

    private Bf16Pairs() {}

    /** dst (ints from dstOff) = src[srcOff..+n) rounded to bfloat16 (to nearest, ties to even), packed; n a multiple of 32. */
    public static void pack(float[] src, int srcOff, int[] dst, int dstOff, int n) {
        if (L == 16) {
            packRuns(src, srcOff, dst, dstOff, n, false);
            return;
        }
        for (int run = 0; run < n; run += RUN) {
            for (int j = 0; j < RUN / 2; j++) {
                int low = Dequantize.floatToBf16(src[srcOff + run + j]) & 0xFFFF;
                int high = Dequantize.floatToBf16(src[srcOff + run + j + RUN / 2]) & 0xFFFF;
                dst[dstOff + run / 2 + j] = high << 16 | low;
            }
        }
    }

    /**
     * {@link #pack}'s and {@link #packColumn}'s vector loop (L == 16): each run of 32 values as 16 ints,
     * stored in a row from int {@code at} or, {@code column}, down a block's column (int i at at + 16 i).
     * Each value is rounded to bfloat16 as {@link Dequantize#floatToBf16} rounds (to nearest even, NaN
     * as 0x7FC0, tested on the bits). All in one method, no vector passed to or returned from another:
     * a vector that crosses a call C2 does not inline is boxed, and a KV store then allocated about 500
     * bytes a position (JFR, in the batched server; a microbenchmark: 68-234 ns a key and value, 13 ns now).
     */
    private static void packRuns(float[] src, int srcOff, int[] dst, int at, int n, boolean column) {
        for (int run = 0; run < n; run += RUN) {
            IntVector low = FloatVector.fromArray(S, src, srcOff + run).reinterpretAsInts();
            IntVector high = FloatVector.fromArray(S, src, srcOff + run + L).reinterpretAsInts();
            IntVector lowUp = low.add(low.lanewise(VectorOperators.LSHR, 16).and(1)).add(0x7FFF)
                    .blend(0x7FC00000, low.and(0x7FFFFFFF).compare(VectorOperators.GT, 0x7F800000));
            IntVector highUp = high.add(high.lanewise(VectorOperators.LSHR, 16).and(1)).add(0x7FFF)
                    .blend(0x7FC00000, high.and(0x7FFFFFFF).compare(VectorOperators.GT, 0x7F800000));
            IntVector ints = highUp.and(0xFFFF0000).or(lowUp.lanewise(VectorOperators.LSHR, 16));
            ints.intoArray(dst, at + (column ? KEYS_PER_BLOCK : 1) * (run / 2), column ? COLUMN : ROW, 0);
        }
    }

    /**
     * Writes src[srcOff..+n) as key {@code lane} (0..15) of the block of 16 keys at int {@code block}:
     * its ints as {@link #pack} makes them, int i at block + 16 i + lane; n a multiple of 32.
     */
    public static void packColumn(float[] src, int srcOff, int[] dst, int block, int lane, int n) {
        if (L == 16) {
            packRuns(src, srcOff, dst, block + lane, n, true);
            return;
        }
        int[] row = new int[n / 2];
        pack(src, srcOff, row, 0, n);
        for (int i = 0; i < row.length; i++) dst[block + KEYS_PER_BLOCK * i + lane] = row[i];
    }

    /** Value {@code index} of key {@code lane} of the block at int {@code block}. */
    public static float getColumn(int[] a, int block, int lane, int index) {
        int pair = a[block + KEYS_PER_BLOCK * (index / RUN * (RUN / 2) + index % (RUN / 2)) + lane];
        return Float.intBitsToFloat(index % RUN < RUN / 2 ? pair << 16 : pair & 0xFFFF0000);
    }

    /**
     * out[outOff + k] = q[qOff..+n) . key k of the block at int {@code block}, k = 0..15, summed
     * in this order: four sums by fma in increasing pair index i, over the low halves of even i,
     * low halves of odd i, high halves of even i, high halves of odd i, then (s0 + s1) + (s2 + s3).
     * n a multiple of 32.
     */
    public static void dots16(float[] q, int qOff, int[] b, int block, int n, float[] out, int outOff) {
        int pairs = n / 2;
        if (L != 16) {
            for (int k = 0; k < KEYS_PER_BLOCK; k++) {
                float[] s = new float[4];
                for (int i = 0; i < pairs; i++) {
                    int pair = b[block + KEYS_PER_BLOCK * i + k], lowIndex = qOff + i / (RUN / 2) * RUN + i % (RUN / 2);
                    s[i & 1] = Math.fma(q[lowIndex], Float.intBitsToFloat(pair << 16), s[i & 1]);
                    s[2 + (i & 1)] = Math.fma(q[lowIndex + RUN / 2], Float.intBitsToFloat(pair & 0xFFFF0000), s[2 + (i & 1)]);
                }
                out[outOff + k] = (s[0] + s[1]) + (s[2] + s[3]);
            }
            return;
        }
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        for (int i = 0, at = block; i < pairs; i += 2, at += 2 * KEYS_PER_BLOCK) {
            int lowIndex = qOff + i / (RUN / 2) * RUN + i % (RUN / 2); // i even: i and i + 1 lie in one run
            // values 0..15 of a run: its ints shifted up; 16..31: their high halves (inline: see packRuns)
            IntVector even = IntVector.fromArray(IS, b, at), odd = IntVector.fromArray(IS, b, at + KEYS_PER_BLOCK);
            s0 = even.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.broadcast(S, q[lowIndex]), s0);
            s2 = even.and(0xFFFF0000).reinterpretAsFloats().fma(FloatVector.broadcast(S, q[lowIndex + RUN / 2]), s2);
            s1 = odd.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.broadcast(S, q[lowIndex + 1]), s1);
            s3 = odd.and(0xFFFF0000).reinterpretAsFloats().fma(FloatVector.broadcast(S, q[lowIndex + 1 + RUN / 2]), s3);
        }
        s0.add(s1).add(s2.add(s3)).intoArray(out, outOff);
    }

    /** Value {@code index} of the packed values that start at int {@code off}. */
    public static float get(int[] a, int off, int index) {
        int pair = a[off + index / RUN * (RUN / 2) + index % (RUN / 2)];
        return Float.intBitsToFloat(index % RUN < RUN / 2 ? pair << 16 : pair & 0xFFFF0000);
    }

    /**
     * y[yOff..+len) = sum over p < n of w[p] * the values of x from int xOff + p * stride, each
     * element accumulated from zero by one fma per p in order of p ({@link Vec#weightedSum}'s
     * bits); len a multiple of 32.
     */
    public static void weightedSum(float[] w, int n, int[] x, int xOff, int stride, float[] y, int yOff, int len) {
        if (L != 16) {
            for (int i = 0; i < len; i++) {
                float a = 0f;
                for (int p = 0; p < n; p++) a = Math.fma(get(x, xOff + p * stride, i), w[p], a);
                y[yOff + i] = a;
            }
            return;
        }
        int i = 0;
        for (; i + 2 * RUN <= len; i += 2 * RUN) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int p = 0, at = xOff + i / 2; p < n; p++, at += stride) {
                FloatVector wp = FloatVector.broadcast(S, w[p]);
                IntVector first = IntVector.fromArray(IS, x, at), second = IntVector.fromArray(IS, x, at + RUN / 2);
                a0 = first.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(wp, a0);
                a1 = first.and(0xFFFF0000).reinterpretAsFloats().fma(wp, a1);
                a2 = second.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(wp, a2);
                a3 = second.and(0xFFFF0000).reinterpretAsFloats().fma(wp, a3);
            }
            a0.intoArray(y, yOff + i);
            a1.intoArray(y, yOff + i + L);
            a2.intoArray(y, yOff + i + 2 * L);
            a3.intoArray(y, yOff + i + 3 * L);
        }
        for (; i < len; i += RUN) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0;
            for (int p = 0, at = xOff + i / 2; p < n; p++, at += stride) {
                FloatVector wp = FloatVector.broadcast(S, w[p]);
                IntVector run = IntVector.fromArray(IS, x, at);
                a0 = run.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(wp, a0);
                a1 = run.and(0xFFFF0000).reinterpretAsFloats().fma(wp, a1);
            }
            a0.intoArray(y, yOff + i);
            a1.intoArray(y, yOff + i + L);
        }
    }
}

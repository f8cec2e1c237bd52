package sortedllama.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * bfloat16 values packed two to an int, and attention's two loops ({@link Vec#dotTree4},
 * {@link Vec#weightedSum}) over them: a KV cache in 16 bits reads half the bytes, and attention
 * over a long context is bound by reading the cache.
 *
 * <p>Why this layout: widening 16-bit lanes to 32 (a short vector cast to an int vector) cost more
 * than the bytes it saved (measured: one head over 150 positions, cache-resident, 3.3 us against
 * 1.2 us for float32; IEEE float16's rebiasing 8.2 us). Here each run of 32 values is stored as 16
 * ints, int j holding value j in its low half and value j + 16 in its high half, so one 512-bit
 * load and one shift (low) or one mask (high) give 16 floats each, in their order. Runs are
 * therefore 32 values: a packed row's length is a multiple of 32.
 *
 * <p>The arithmetic after widening is Vec's, in the same order, so the results are the bits Vec's
 * loops give on the widened values (Bf16PairsTest).
 */
public final class Bf16Pairs {
    /** Values per packed run. */
    public static final int RUN = 32;

    private static final VectorSpecies<Float> S = Vec.S;
    private static final int L = Vec.L;
    private static final VectorSpecies<Integer> IS = IntVector.SPECIES_512;

    private Bf16Pairs() {}

    /** dst (ints from dstOff) = src[srcOff..+n) rounded to bfloat16 (to nearest, ties to even), packed; n a multiple of 32. */
    public static void pack(float[] src, int srcOff, int[] dst, int dstOff, int n) {
        for (int run = 0; run < n; run += RUN) {
            for (int j = 0; j < RUN / 2; j++) {
                int low = Dequantize.floatToBf16(src[srcOff + run + j]) & 0xFFFF;
                int high = Dequantize.floatToBf16(src[srcOff + run + j + RUN / 2]) & 0xFFFF;
                dst[dstOff + run / 2 + j] = high << 16 | low;
            }
        }
    }

    /** Value {@code index} of the packed values that start at int {@code off}. */
    public static float get(int[] a, int off, int index) {
        int pair = a[off + index / RUN * (RUN / 2) + index % (RUN / 2)];
        return Float.intBitsToFloat(index % RUN < RUN / 2 ? pair << 16 : pair & 0xFFFF0000);
    }

    /** Values 0..15 of the run at int {@code at}. */
    private static FloatVector low(int[] a, int at) {
        return IntVector.fromArray(IS, a, at).lanewise(jdk.incubator.vector.VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** Values 16..31 of the run at int {@code at}. */
    private static FloatVector high(int[] a, int at) {
        return IntVector.fromArray(IS, a, at).and(0xFFFF0000).reinterpretAsFloats();
    }

    /**
     * out[outOff + j] = {@link Vec#dotTree}(a, aOff, values of b from int bOff + j * bStride, n) for
     * j = 0..3, bit for bit; n a multiple of 32.
     */
    public static void dotTree4(float[] a, int aOff, int[] b, int bOff, int bStride, int n, float[] out, int outOff) {
        if (L != 16) {
            float[] wide = new float[n];
            for (int j = 0; j < 4; j++) {
                for (int i = 0; i < n; i++) wide[i] = get(b, bOff + j * bStride, i);
                out[outOff + j] = Vec.dotTree(a, aOff, wide, 0, n);
            }
            return;
        }
        FloatVector z = FloatVector.zero(S), a0 = z, a1 = z, b0 = z, b1 = z, c0 = z, c1 = z, d0 = z, d1 = z;
        for (int i = 0, at = bOff; i < n; i += RUN, at += RUN / 2) {
            FloatVector x0 = FloatVector.fromArray(S, a, aOff + i), x1 = FloatVector.fromArray(S, a, aOff + i + L);
            a0 = x0.fma(low(b, at), a0);
            a1 = x1.fma(high(b, at), a1);
            b0 = x0.fma(low(b, at + bStride), b0);
            b1 = x1.fma(high(b, at + bStride), b1);
            c0 = x0.fma(low(b, at + 2 * bStride), c0);
            c1 = x1.fma(high(b, at + 2 * bStride), c1);
            d0 = x0.fma(low(b, at + 3 * bStride), d0);
            d1 = x1.fma(high(b, at + 3 * bStride), d1);
        }
        Vec.sumLanesTree4(a0.add(a1), b0.add(b1), c0.add(c1), d0.add(d1), out, outOff);
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
                a0 = low(x, at).fma(wp, a0);
                a1 = high(x, at).fma(wp, a1);
                a2 = low(x, at + RUN / 2).fma(wp, a2);
                a3 = high(x, at + RUN / 2).fma(wp, a3);
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
                a0 = low(x, at).fma(wp, a0);
                a1 = high(x, at).fma(wp, a1);
            }
            a0.intoArray(y, yOff + i);
            a1.intoArray(y, yOff + i + L);
        }
    }
}

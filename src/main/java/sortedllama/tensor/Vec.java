package sortedllama.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API loops of the element-wise kernels (training's, and the forward pass's softmax and
 * SwiGLU), written so that every JIT tier gives the same bits (training must be reproducible,
 * and a loop runs interpreted, then C1, then C2 within one run; greedy decoding must not change
 * its mind when a path gets compiled):
 * <ul>
 *   <li>only exactly rounded operations (add, mul, fma, div, sqrt, integer conversions of integral
 *       values), so the Java fallback of an operation and its C2 intrinsic agree;</li>
 *   <li>our own {@link #exp}: the Vector API's EXP is SVML under C2 but Math.exp per lane when
 *       interpreted, and the two differ in the last bit;</li>
 *   <li>sums reduce the lanes in a fixed order ourselves: {@code reduceLanes(ADD)} may associate
 *       differently in the fallback and in the intrinsic.</li>
 * </ul>
 * Tails are masked vectors or use the same formula as the body (an fma per element), so a
 * value's bits do not depend on where a loop's range starts either.
 */
public final class Vec {
    public static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    public static final int L = S.length();

    private Vec() {}

    // exp(x) = 2^n * e^r with n = round(x / ln 2), |r| <= ln2 / 2, e^r by Cephes' expf polynomial
    // (about 1 ulp). ln 2 is split in two so that x - n ln2 stays exact.
    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;
    /** Adding 1.5 * 2^23 rounds a float of magnitude below 2^22 to an integer (to nearest even). */
    private static final float ROUNDER = 12582912f;
    /**
     * Below this exp underflows past the smallest normal float; we return 0. Those lanes are computed
     * on 0 instead and then replaced: computed on EXP_MIN itself, their last product is subnormal, and
     * each subnormal result costs a microcode assist. With gates of order 100, half of them past 87,
     * SwiGLU took 1.55 ns per value against 0.55 with gates of order 1 (one thread, AMD EPYC); 0.59
     * with this and {@link #sigmoid}'s own cut-off.
     */
    private static final float EXP_MIN = -87.33654f, EXP_MAX = 88.37626f;

    private static final FloatVector V_LN2_LO = FloatVector.broadcast(S, -LN2_LO), V_P2 = FloatVector.broadcast(S, P2),
            V_P3 = FloatVector.broadcast(S, P3), V_P4 = FloatVector.broadcast(S, P4), V_P5 = FloatVector.broadcast(S, P5);

    public static FloatVector exp(FloatVector x) {
        VectorMask<Float> under = x.lt(EXP_MIN);
        FloatVector xc = x.blend(0f, under).min(EXP_MAX);
        FloatVector n = xc.fma(LOG2E, ROUNDER).sub(ROUNDER);
        FloatVector r = xc.sub(n.mul(LN2_HI)); // n * LN2_HI is exact: both have few significant bits
        r = n.fma(V_LN2_LO, r);
        FloatVector p = r.fma(P0, P1).fma(r, V_P2).fma(r, V_P3).fma(r, V_P4).fma(r, V_P5);
        p = p.fma(r.mul(r), r).add(1f);
        IntVector bits = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        FloatVector result = p.mul(bits.reinterpretAsFloats());
        return result.blend(0f, under);
    }

    /** Lane i with lane i ^ d: the steps of a fixed reduction tree (null where d is not below L). */
    private static final VectorShuffle<Float> SWAP8 = swap(8), SWAP4 = swap(4), SWAP2 = swap(2), SWAP1 = swap(1);

    private static VectorShuffle<Float> swap(int d) {
        return d < L ? VectorShuffle.fromOp(S, lane -> lane ^ d) : null;
    }

    /*
     * Two summation orders, kept on purpose. Training sums in order ({@link SumOrder#IN_ORDER}): one
     * accumulator, lanes added lane 0 first. Inference sums by a fixed tree ({@link SumOrder#TREE}):
     * two accumulators, lanes reduced pairwise, the faster reduction that decoding's per-row and
     * per-score sums need. Each order's recorded results rest on it: training's PyTorch reference
     * (1e-7 relative on the loss; with tree sums the loss of TorchReferenceTest's packed case moves
     * to 1.2e-7, measured) and the demo's published losses, inference's greedy outputs. Softmax and
     * the cross-entropy's sum of exponentials sum in order in both.
     */

    /** Which of the two summation orders a float reduction follows (see above). */
    public enum SumOrder { IN_ORDER, TREE }

    /** Sum of a vector's lanes, lane 0 first: training's order. */
    public static float sumLanesInOrder(FloatVector v) {
        float s = 0;
        for (int i = 0; i < L; i++) s += v.lane(i);
        return s;
    }

    /**
     * The sum of a vector's lanes by a fixed tree of exactly rounded adds (lanes i and i ^ L/2,
     * then i ^ L/4, ...), the same in every JIT tier: the inference kernels' per-row sums. Each step
     * is a constant shuffle: a loop over an array of shuffles measured twice as slow as
     * {@code reduceLanes}, this within 20% of it, and {@link #sumLanesInOrder} seven times slower.
     */
    public static float sumLanesTree(FloatVector v) {
        if (L >= 16) v = v.add(v.rearrange(SWAP8));
        if (L >= 8) v = v.add(v.rearrange(SWAP4));
        v = v.add(v.rearrange(SWAP2));
        v = v.add(v.rearrange(SWAP1));
        return v.lane(0);
    }

    /** Dot product of a[aOff..+n) and b[bOff..+n) in {@code order}. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n, SumOrder order) {
        return order == SumOrder.TREE ? dotTree(a, aOff, b, bOff, n) : dotInOrder(a, aOff, b, bOff, n);
    }

    /** Dot product of a[aOff..+n) and b[bOff..+n), summed in order: one accumulator, then the tail one fma per element. */
    public static float dotInOrder(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i + L <= n; i += L) {
            acc = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc);
        }
        float sum = sumLanesInOrder(acc);
        for (; i < n; i++) sum = Math.fma(a[aOff + i], b[bOff + i], sum);
        return sum;
    }

    /** Dot product of a[aOff..+n) and b[bOff..+n), summed by the tree: two accumulators over alternate slices, then the tail. */
    public static float dotTree(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            acc0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc0);
            acc1 = FloatVector.fromArray(S, a, aOff + i + L).fma(FloatVector.fromArray(S, b, bOff + i + L), acc1);
        }
        for (; i + L <= n; i += L) {
            acc0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc0);
        }
        float sum = sumLanesTree(acc0.add(acc1));
        for (; i < n; i++) sum += a[aOff + i] * b[bOff + i];
        return sum;
    }

    private static final VectorMask<Float> HIGH8 = L == 16 ? VectorMask.fromLong(S, 0xFF00L) : null;
    private static final VectorMask<Float> ODD_QUADS = L == 16 ? VectorMask.fromLong(S, 0xF0F0L) : null;

    /**
     * out[outOff + j] = {@link #dotTree}(a, aOff, b, bOff + j * bStride, n) for j = 0..3, bit for bit:
     * attention's scores, four keys at a time. The four keys' lanes are reduced together: at each
     * step of the tree, lanes that hold the same values in every key's vector (a sum and its mirror)
     * are free to carry another key's, so the four trees share their shuffles, and the query's loads
     * serve four keys. Each sum adds the very same pairs as dotTree's, so the bits are its bits.
     */
    public static void dotTree4(float[] a, int aOff, float[] b, int bOff, int bStride, int n, float[] out, int outOff) {
        if (L != 16) {
            for (int j = 0; j < 4; j++) out[outOff + j] = dotTree(a, aOff, b, bOff + j * bStride, n);
            return;
        }
        FloatVector z = FloatVector.zero(S), a0 = z, a1 = z, b0 = z, b1 = z, c0 = z, c1 = z, d0 = z, d1 = z;
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            FloatVector x0 = FloatVector.fromArray(S, a, aOff + i), x1 = FloatVector.fromArray(S, a, aOff + i + L);
            a0 = x0.fma(FloatVector.fromArray(S, b, bOff + i), a0);
            a1 = x1.fma(FloatVector.fromArray(S, b, bOff + i + L), a1);
            b0 = x0.fma(FloatVector.fromArray(S, b, bOff + bStride + i), b0);
            b1 = x1.fma(FloatVector.fromArray(S, b, bOff + bStride + i + L), b1);
            c0 = x0.fma(FloatVector.fromArray(S, b, bOff + 2 * bStride + i), c0);
            c1 = x1.fma(FloatVector.fromArray(S, b, bOff + 2 * bStride + i + L), c1);
            d0 = x0.fma(FloatVector.fromArray(S, b, bOff + 3 * bStride + i), d0);
            d1 = x1.fma(FloatVector.fromArray(S, b, bOff + 3 * bStride + i + L), d1);
        }
        if (i + L <= n) {
            FloatVector x0 = FloatVector.fromArray(S, a, aOff + i);
            a0 = x0.fma(FloatVector.fromArray(S, b, bOff + i), a0);
            b0 = x0.fma(FloatVector.fromArray(S, b, bOff + bStride + i), b0);
            c0 = x0.fma(FloatVector.fromArray(S, b, bOff + 2 * bStride + i), c0);
            d0 = x0.fma(FloatVector.fromArray(S, b, bOff + 3 * bStride + i), d0);
            i += L;
        }
        sumLanesTree4(a0.add(a1), b0.add(b1), c0.add(c1), d0.add(d1), out, outOff);
        for (; i < n; i++) {
            float x = a[aOff + i];
            out[outOff] += x * b[bOff + i];
            out[outOff + 1] += x * b[bOff + bStride + i];
            out[outOff + 2] += x * b[bOff + 2 * bStride + i];
            out[outOff + 3] += x * b[bOff + 3 * bStride + i];
        }
    }

    /**
     * out[outOff + j] = {@link #sumLanesTree} of the j-th vector, for four vectors at once (L = 16):
     * at each step of the tree, lanes that hold the same values in every vector (a sum and its
     * mirror) are free to carry another vector's, so the four trees share their shuffles.
     */
    static void sumLanesTree4(FloatVector va, FloatVector vb, FloatVector vc, FloatVector vd, float[] out, int outOff) {
        // step 1 (lane ^ 8): lanes 0-7 of each result equal lanes 8-15, so keys a|b share one vector, c|d another
        FloatVector ab = va.add(va.rearrange(SWAP8)).blend(vb.add(vb.rearrange(SWAP8)), HIGH8);
        FloatVector cd = vc.add(vc.rearrange(SWAP8)).blend(vd.add(vd.rearrange(SWAP8)), HIGH8);
        // step 2 (lane ^ 4): quads 0 and 2 hold a and b, quads 1 and 3 (their mirrors) take c and d
        FloatVector all = ab.add(ab.rearrange(SWAP4)).blend(cd.add(cd.rearrange(SWAP4)), ODD_QUADS);
        all = all.add(all.rearrange(SWAP2));
        all = all.add(all.rearrange(SWAP1)); // a at lane 0, c at 4, b at 8, d at 12
        out[outOff] = all.lane(0);
        out[outOff + 1] = all.lane(8);
        out[outOff + 2] = all.lane(4);
        out[outOff + 3] = all.lane(12);
    }

    /** y[yOff..+n) += alpha * x[xOff..+n), each element one fma. */
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector va = FloatVector.broadcast(S, alpha);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector.fromArray(S, x, xOff + i).fma(va, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] = Math.fma(x[xOff + i], alpha, y[yOff + i]);
    }

    /**
     * y[yOff..+len) = sum over p < n of w[p] * x[xOff + p*stride ..+len), each element accumulated
     * from zero by one fma per p in order of p: the bits of zeroing y and calling {@link #axpy} for
     * each p, but with the sums held in registers (attention's weighted sum of values: per position
     * axpy loaded and stored y once for every 64-float row, and took a fifth of a prefill).
     */
    public static void weightedSum(float[] w, int n, float[] x, int xOff, int stride, float[] y, int yOff, int len) {
        int i = 0;
        for (; i + 4 * L <= len; i += 4 * L) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int p = 0, at = xOff + i; p < n; p++, at += stride) {
                FloatVector wp = FloatVector.broadcast(S, w[p]);
                a0 = FloatVector.fromArray(S, x, at).fma(wp, a0);
                a1 = FloatVector.fromArray(S, x, at + L).fma(wp, a1);
                a2 = FloatVector.fromArray(S, x, at + 2 * L).fma(wp, a2);
                a3 = FloatVector.fromArray(S, x, at + 3 * L).fma(wp, a3);
            }
            a0.intoArray(y, yOff + i);
            a1.intoArray(y, yOff + i + L);
            a2.intoArray(y, yOff + i + 2 * L);
            a3.intoArray(y, yOff + i + 3 * L);
        }
        for (; i + L <= len; i += L) {
            FloatVector a = FloatVector.zero(S);
            for (int p = 0, at = xOff + i; p < n; p++, at += stride) a = FloatVector.fromArray(S, x, at).fma(FloatVector.broadcast(S, w[p]), a);
            a.intoArray(y, yOff + i);
        }
        for (; i < len; i++) {
            float a = 0f;
            for (int p = 0; p < n; p++) a = Math.fma(x[xOff + p * stride + i], w[p], a);
            y[yOff + i] = a;
        }
    }

    /** Largest of x[off..+n). */
    public static float max(float[] x, int off, int n) {
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i + L <= n; i += L) acc = acc.max(FloatVector.fromArray(S, x, off + i));
        float m = acc.reduceLanes(VectorOperators.MAX); // max is exact in any order
        for (; i < n; i++) m = Math.max(m, x[off + i]);
        return m;
    }

    /** x[i] = exp(x[i] - shift) over x[off..+n); returns their sum. */
    public static float expShiftedAndSum(float[] x, int off, int n, float shift) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector e = exp(FloatVector.fromArray(S, x, off + i).sub(shift));
            e.intoArray(x, off + i);
            acc = acc.add(e);
        }
        if (i < n) { // the tail as one masked vector, so that every value goes through the same exp
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector e = exp(FloatVector.fromArray(S, x, off + i, m).sub(shift));
            e.intoArray(x, off + i, m);
            acc = acc.add(e, m);
        }
        return sumLanesInOrder(acc);
    }

    /** x[off..+n) *= s. */
    public static void scale(float[] x, int off, int n, float s) {
        int i = 0;
        for (; i + L <= n; i += L) FloatVector.fromArray(S, x, off + i).mul(s).intoArray(x, off + i);
        for (; i < n; i++) x[off + i] *= s;
    }

    /** In-place softmax of x[off..+n). */
    public static void softmax(float[] x, int off, int n) {
        float sum = expShiftedAndSum(x, off, n, max(x, off, n));
        scale(x, off, n, 1f / sum);
    }

    /**
     * 1 / (1 + e^-g), lane-wise; 0 below EXP_MIN, where it would be subnormal (lanes computed on 0, then
     * replaced, as in exp: a subnormal quotient, and each product that takes it, costs a microcode assist).
     * The values dropped are below 1.2e-38.
     */
    public static FloatVector sigmoid(FloatVector g) {
        VectorMask<Float> under = g.lt(EXP_MIN);
        return FloatVector.broadcast(S, 1f).div(exp(g.blend(0f, under).neg()).add(1f)).blend(0f, under);
    }

    /** out[i] = silu(gate[i]) * up[i] over [from, to): SwiGLU's gating, silu(g) = g * sigmoid(g). */
    public static void swiglu(float[] out, float[] gate, float[] up, int from, int to) {
        for (int i = from; i < to; i += L) {
            VectorMask<Float> m = S.indexInRange(i, to);
            FloatVector g = FloatVector.fromArray(S, gate, i, m);
            g.mul(sigmoid(g)).mul(FloatVector.fromArray(S, up, i, m)).intoArray(out, i, m);
        }
    }
}

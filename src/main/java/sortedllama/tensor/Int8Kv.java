package sortedllama.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A KV cache's keys and values in 8 bits (as llama.cpp's q8_0 cache types): each group of 32 values of a
 * head's row is q * d, q an 8-bit integer and d a float per group. Attention over a long context is bound
 * by reading the cache from DRAM, and this reads about 56% of bfloat16's bytes.
 *
 * <p>Rounding: d = amax / 127, q = x * (127 / amax) rounded half away from zero (0 where amax is 0), the
 * same in the vector and scalar loops.
 *
 * <p>Values lie as rows (a position's head: 64 bytes at head dimension 64), with their scales beside in a
 * float array, one per group. Keys lie in blocks of 16 positions read at once by {@link #dots16}, as
 * {@link Bf16Pairs}'s do: byte {@code 16 i + k} of a block is value i of key k, so one 16-byte load gives one
 * coordinate of 16 keys; a block's scales are 16 floats per group, key k's at lane k. Results are summed
 * in the orders the methods state, which the scalar loops (L != 16) follow too.
 */
public final class Int8Kv {
    /** Values per scale. */
    public static final int GROUP = 32;
    /** Keys per block, read at once by {@link #dots16}. */
    public static final int KEYS_PER_BLOCK = 16;

    private static final VectorSpecies<Float> S = Vec.S;
    private static final int L = Vec.L;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;

    private Int8Kv() {}

    /**
     * Quantizes src[srcOff..+n) (n a multiple of 32) group by group into q[qOff..+n) and d[dOff + g * dStride].
     * In one method, no vector passed across a call (see {@link Bf16Pairs}'s packRuns).
     */
    public static void quantize(float[] src, int srcOff, int n, byte[] q, int qOff, float[] d, int dOff, int dStride) {
        for (int g = 0; g < n / GROUP; g++) {
            int from = srcOff + g * GROUP;
            if (L == 16) {
                FloatVector x0 = FloatVector.fromArray(S, src, from), x1 = FloatVector.fromArray(S, src, from + L);
                float amax = x0.abs().max(x1.abs()).reduceLanes(VectorOperators.MAX); // max: exact in any order
                float inv = amax != 0 ? 127f / amax : 0f;
                d[dOff + g * dStride] = amax / 127f;
                for (int h = 0; h < 2; h++) {
                    FloatVector y = (h == 0 ? x0 : x1).mul(inv);
                    VectorMask<Float> negative = y.lt(0f);
                    IntVector r = (IntVector) y.abs().add(0.5f).convert(VectorOperators.F2I, 0);
                    r = r.lanewise(VectorOperators.NEG, negative.cast(IntVector.SPECIES_512));
                    r.convertShape(VectorOperators.I2B, B16, 0).reinterpretAsBytes().intoArray(q, qOff + g * GROUP + h * L);
                }
                continue;
            }
            float amax = 0;
            for (int i = 0; i < GROUP; i++) amax = Math.max(amax, Math.abs(src[from + i]));
            float inv = amax != 0 ? 127f / amax : 0f;
            d[dOff + g * dStride] = amax / 127f;
            for (int i = 0; i < GROUP; i++) {
                float y = src[from + i] * inv;
                int r = (int) (Math.abs(y) + 0.5f);
                q[qOff + g * GROUP + i] = (byte) (y < 0 ? -r : r);
            }
        }
    }

    /**
     * Key {@code lane} (0..15) of the block at byte {@code block}, scales from {@code scales}: src[srcOff..+n)
     * quantized as {@link #quantize} does, its bytes written down the block's column.
     */
    public static void quantizeColumn(float[] src, int srcOff, int n, byte[] b, int block, int lane, float[] d, int scales) {
        byte[] row = new byte[n];
        quantize(src, srcOff, n, row, 0, d, scales + lane, KEYS_PER_BLOCK);
        for (int i = 0; i < n; i++) b[block + KEYS_PER_BLOCK * i + lane] = row[i];
    }

    /** Value {@code index} of key {@code lane} of the block at byte {@code block} (scales from {@code scales}). */
    public static float getColumn(byte[] b, int block, float[] d, int scales, int lane, int index) {
        return b[block + KEYS_PER_BLOCK * index + lane] * d[scales + index / GROUP * KEYS_PER_BLOCK + lane];
    }

    /** Value {@code index} of a row quantized by {@link #quantize} (q from qOff, d from dOff with stride 1). */
    public static float get(byte[] q, int qOff, float[] d, int dOff, int index) {
        return q[qOff + index] * d[dOff + index / GROUP];
    }

    /**
     * out[outOff + k] = q[qOff..+n) . key k of the block (bytes from {@code block}, scales from {@code scales}:
     * 16 per group), k = 0..15: per group, two sums by fma in increasing coordinate (even coordinates, odd
     * coordinates), their sum times the key's scale added by fma to the key's total, groups in order.
     */
    public static void dots16(float[] q, int qOff, byte[] b, int block, float[] d, int scales, int n, float[] out, int outOff) {
        if (L != 16) {
            for (int k = 0; k < KEYS_PER_BLOCK; k++) {
                float total = 0;
                for (int g = 0; g < n / GROUP; g++) {
                    float even = 0, odd = 0;
                    for (int i = g * GROUP; i < (g + 1) * GROUP; i += 2) {
                        even = Math.fma(q[qOff + i], b[block + KEYS_PER_BLOCK * i + k], even);
                        odd = Math.fma(q[qOff + i + 1], b[block + KEYS_PER_BLOCK * (i + 1) + k], odd);
                    }
                    total = Math.fma(even + odd, d[scales + g * KEYS_PER_BLOCK + k], total);
                }
                out[outOff + k] = total;
            }
            return;
        }
        FloatVector total = FloatVector.zero(S);
        for (int g = 0; g < n / GROUP; g++) {
            FloatVector even = FloatVector.zero(S), odd = even;
            for (int i = g * GROUP, at = block + KEYS_PER_BLOCK * i; i < (g + 1) * GROUP; i += 2, at += 2 * KEYS_PER_BLOCK) {
                // widened inline: a vector passed to a helper C2 does not inline is boxed (see Bf16Pairs.packRuns)
                FloatVector k0 = (FloatVector) ByteVector.fromArray(B16, b, at).convertShape(VectorOperators.B2F, S, 0);
                FloatVector k1 = (FloatVector) ByteVector.fromArray(B16, b, at + KEYS_PER_BLOCK).convertShape(VectorOperators.B2F, S, 0);
                even = k0.fma(FloatVector.broadcast(S, q[qOff + i]), even);
                odd = k1.fma(FloatVector.broadcast(S, q[qOff + i + 1]), odd);
            }
            total = even.add(odd).fma(FloatVector.fromArray(S, d, scales + g * KEYS_PER_BLOCK), total);
        }
        total.intoArray(out, outOff);
    }

    /**
     * y[yOff..+len) = sum over p < n of w[p] * the values of row p (bytes from xOff + p * stride, scales from
     * dOff + p * dStride): each element accumulated from zero by one fma per p in order of p, with the
     * weight w[p] * d of its group (one product per group and p); len a multiple of 32.
     */
    public static void weightedSum(float[] w, int n, byte[] x, int xOff, int stride, float[] d, int dOff, int dStride,
                                   float[] y, int yOff, int len) {
        if (L != 16) {
            for (int i = 0; i < len; i++) {
                float a = 0f;
                for (int p = 0; p < n; p++) a = Math.fma(x[xOff + p * stride + i], w[p] * d[dOff + p * dStride + i / GROUP], a);
                y[yOff + i] = a;
            }
            return;
        }
        for (int g = 0; g < len / GROUP; g++) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0;
            for (int p = 0, at = xOff + g * GROUP, ds = dOff + g; p < n; p++, at += stride, ds += dStride) {
                FloatVector wp = FloatVector.broadcast(S, w[p] * d[ds]);
                a0 = ((FloatVector) ByteVector.fromArray(B16, x, at).convertShape(VectorOperators.B2F, S, 0)).fma(wp, a0);
                a1 = ((FloatVector) ByteVector.fromArray(B16, x, at + L).convertShape(VectorOperators.B2F, S, 0)).fma(wp, a1);
            }
            a0.intoArray(y, yOff + g * GROUP);
            a1.intoArray(y, yOff + g * GROUP + L);
        }
    }
}

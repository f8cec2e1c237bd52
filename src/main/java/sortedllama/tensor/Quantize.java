package sortedllama.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Floats to stored types, as ggml and PyTorch round them: for writing GGUF/safetensors files, for
 * {@code --quantize}, and for building test tensors. The block types follow ggml's reference
 * quantizers (those llama.cpp uses when it has no importance matrix) operation for operation in
 * float arithmetic, so that the bytes are the ones ggml_quantize_chunk writes for the same floats
 * (QuantizeTest checks this against bytes written by ggml). Q2_K, Q3_K, IQ4_NL and IQ4_XS can be
 * read but not written.
 */
public final class Quantize {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    /** ggml's threshold below which a group of values counts as all zero. */
    private static final float GROUP_MAX_EPS = 1e-15f;

    private Quantize() {}

    /** A tensor of type {@code type} holding {@code values} (row-major), allocated in {@code arena}. */
    public static Tensor tensor(String name, DType type, long[] shape, float[] values, Arena arena) {
        MemorySegment seg = arena.allocate(type.bytesFor(Tensor.elementCount(shape)), 16);
        encode(type, values, seg);
        return new Tensor(name, type, shape, seg);
    }

    /** Whether {@link #encode} can write {@code type}. */
    public static boolean canEncode(DType type) {
        return switch (type) {
            case Q2_K, Q3_K, IQ4_NL, IQ4_XS -> false;
            default -> true;
        };
    }

    /** C's roundf, which ggml uses (Math.round rounds -2.5 to -2, roundf to -3). */
    static int roundHalfAwayFromZero(float v) {
        return (int) (Math.signum(v) * Math.floor(Math.abs((double) v) + 0.5));
    }

    /**
     * ggml's nearest_int for the K types: adding 1.5 * 2^23 rounds to the nearest integer with ties
     * to even, which is rint (exact for the magnitudes ggml allows, below 2^22).
     */
    static int nearestInt(float v) {
        return (int) Math.rint(v);
    }

    /**
     * Writes {@code values} in {@code type}'s layout at the start of {@code dst}; a block type needs a
     * multiple of its block size. Every block is quantized on its own, so rows can be encoded one at a time.
     */
    public static void encode(DType type, float[] values, MemorySegment dst) {
        int n = values.length;
        if (n % type.blockSize != 0) {
            throw new IllegalArgumentException(type + " needs a multiple of " + type.blockSize + " values, got " + n);
        }
        int blocks = n / type.blockSize;
        switch (type) {
            case F32 -> MemorySegment.copy(values, 0, dst, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, n);
            case F16 -> {
                for (int i = 0; i < n; i++) dst.set(I16, 2L * i, Float.floatToFloat16(values[i]));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) dst.set(I16, 2L * i, Dequantize.floatToBf16(values[i]));
            }
            case Q8_0 -> {
                for (int b = 0; b < blocks; b++) q80(values, 32 * b, dst, 34L * b);
            }
            case Q4_0 -> {
                for (int b = 0; b < blocks; b++) q40(values, 32 * b, dst, 18L * b);
            }
            case Q5_0 -> {
                for (int b = 0; b < blocks; b++) q50(values, 32 * b, dst, 22L * b);
            }
            case Q4_1, Q5_1 -> {
                for (int b = 0; b < blocks; b++) q41q51(type == DType.Q5_1, values, 32 * b, dst, (long) type.blockBytes * b);
            }
            case Q4_K, Q5_K -> {
                for (int b = 0; b < blocks; b++) q45K(type == DType.Q5_K, values, 256 * b, dst, (long) type.blockBytes * b);
            }
            case Q6_K -> {
                for (int b = 0; b < blocks; b++) q6K(values, 256 * b, dst, 210L * b);
            }
            case Q2_K, Q3_K, IQ4_NL, IQ4_XS -> throw new IllegalArgumentException("cannot write " + type + " (only read it); writable types: "
                    + String.join(", ", Arrays.stream(DType.values()).filter(Quantize::canEncode).map(Enum::name).toList()));
        }
    }

    /** Q8_0: the largest magnitude maps to 127. */
    private static void q80(float[] x, int o, MemorySegment dst, long at) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[o + j]));
        float d = amax / 127f, id = d != 0 ? 1f / d : 0f;
        dst.set(I16, at, Float.floatToFloat16(d));
        for (int j = 0; j < 32; j++) dst.set(ValueLayout.JAVA_BYTE, at + 2 + j, (byte) roundHalfAwayFromZero(x[o + j] * id));
    }

    /** Q4_0: the value of largest magnitude, with its sign, maps to -8 (so the other side gets 7 steps). */
    private static void q40(float[] x, int o, MemorySegment dst, long at) {
        float d = signedMax(x, o, 32) / -8f, id = d != 0 ? 1f / d : 0f;
        dst.set(I16, at, Float.floatToFloat16(d));
        for (int j = 0; j < 16; j++) {
            int lo = Math.min(15, (int) (x[o + j] * id + 8.5f));
            int hi = Math.min(15, (int) (x[o + 16 + j] * id + 8.5f));
            dst.set(ValueLayout.JAVA_BYTE, at + 2 + j, (byte) (lo | (hi << 4)));
        }
    }

    /** Q5_0: as Q4_0 with 5 bits, the signed extreme mapping to -16; fifth bits gathered in a 32-bit mask. */
    private static void q50(float[] x, int o, MemorySegment dst, long at) {
        float d = signedMax(x, o, 32) / -16f, id = d != 0 ? 1f / d : 0f;
        dst.set(I16, at, Float.floatToFloat16(d));
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int lo = Math.min(31, (int) (x[o + j] * id + 16.5f));
            int hi = Math.min(31, (int) (x[o + 16 + j] * id + 16.5f));
            dst.set(ValueLayout.JAVA_BYTE, at + 6 + j, (byte) ((lo & 0x0F) | ((hi & 0x0F) << 4)));
            qh |= (lo >>> 4) << j | (hi >>> 4) << (j + 16);
        }
        dst.set(ValueLayout.JAVA_INT_UNALIGNED, at + 2, qh);
    }

    /**
     * Q4_1 / Q5_1: the block's range [min, max] cut into 15 (31) equal steps; d and the offset m = min
     * as float16, then (Q5_1) the fifth bits, then the nibbles.
     */
    private static void q41q51(boolean five, float[] x, int o, MemorySegment dst, long at) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) { // comparisons, not Math.min: ggml keeps the first of 0.0 and -0.0
            if (x[o + j] < min) min = x[o + j];
            if (x[o + j] > max) max = x[o + j];
        }
        int top = five ? 31 : 15;
        float d = (max - min) / top, id = d != 0 ? 1f / d : 0f;
        dst.set(I16, at, Float.floatToFloat16(d));
        dst.set(I16, at + 2, Float.floatToFloat16(min));
        long qs = at + (five ? 8 : 4);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            // truncation after adding 0.5 rounds the (non-negative) step count to nearest
            int lo = Math.min(top, (int) ((x[o + j] - min) * id + 0.5f));
            int hi = Math.min(top, (int) ((x[o + 16 + j] - min) * id + 0.5f));
            dst.set(ValueLayout.JAVA_BYTE, qs + j, (byte) ((lo & 0x0F) | ((hi & 0x0F) << 4)));
            qh |= (lo >>> 4) << j | (hi >>> 4) << (j + 16);
        }
        if (five) dst.set(ValueLayout.JAVA_INT_UNALIGNED, at + 4, qh);
    }

    /** The value of largest magnitude with its sign (the first of equals), 0 for an all-zero group. */
    private static float signedMax(float[] x, int o, int n) {
        float max = 0, amax = 0;
        for (int j = 0; j < n; j++) {
            float v = x[o + j];
            if (Math.abs(v) > amax) {
                amax = Math.abs(v);
                max = v;
            }
        }
        return max;
    }

    /**
     * Q4_K / Q5_K: each sub-block of 32 gets its own scale and min by {@link #fitScaleMin} (a search
     * weighted towards large values), then the eight scales and eight mins are themselves quantized
     * to 6 bits against the block's largest (float16 d and dmin), and the values are re-quantized
     * with the scales as stored, so that rounding of the scales does not bias them.
     */
    private static void q45K(boolean five, float[] x, int o, MemorySegment dst, long at) {
        int nmax = five ? 31 : 15;
        int[] levels = new int[256];
        float[] scales = new float[8], mins = new float[8];
        float maxScale = 0, maxMin = 0;
        float[] weights = new float[32], fit = new float[2];
        int[] trial = new int[32];
        for (int j = 0; j < 8; j++) {
            int s = o + 32 * j;
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) sumX2 += x[s + l] * x[s + l];
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) weights[l] = avX + Math.abs(x[s + l]);
            if (five) fitScaleMin(x, s, weights, nmax, levels, 32 * j, -0.5f, 0.1f, 15, trial, fit);
            else fitScaleMin(x, s, weights, nmax, levels, 32 * j, -1f, 0.1f, 20, trial, fit);
            scales[j] = fit[0];
            mins[j] = fit[1];
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f, invMin = maxMin > 0 ? 63f / maxMin : 0f;
        byte[] packed = new byte[12];
        for (int j = 0; j < 8; j++) {
            int ls = Math.min(63, nearestInt(invScale * scales[j]) & 0xFF);
            int lm = Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
            packScaleMin(packed, j, ls, lm);
        }
        dst.set(I16, at, Float.floatToFloat16(maxScale / 63f));
        dst.set(I16, at + 2, Float.floatToFloat16(maxMin / 63f));
        MemorySegment.copy(packed, 0, dst, ValueLayout.JAVA_BYTE, at + 4, 12);
        MemorySegment scaleBytes = MemorySegment.ofArray(packed);
        float d = Dequantize.half(dst, at), dmin = Dequantize.half(dst, at + 2);
        for (int j = 0; j < 8; j++) {
            float dl = d * Dequantize.kScale(scaleBytes, 0, j);
            if (dl == 0) continue; // a sub-block whose scale rounded to 0 keeps the levels of its fit
            float ml = dmin * Dequantize.kMin(scaleBytes, 0, j);
            for (int l = 0; l < 32; l++) {
                levels[32 * j + l] = Math.clamp(nearestInt((x[o + 32 * j + l] + ml) / dl), 0, nmax);
            }
        }
        long qh = at + 16, qs = at + (five ? 48 : 16);
        if (five) dst.asSlice(qh, 32).fill((byte) 0);
        for (int pair = 0; pair < 4; pair++) { // 64 values: sub-block 2*pair in low nibbles, 2*pair+1 in high
            for (int l = 0; l < 32; l++) {
                int lo = levels[64 * pair + l], hi = levels[64 * pair + 32 + l];
                dst.set(ValueLayout.JAVA_BYTE, qs + 32L * pair + l, (byte) ((lo & 0x0F) | ((hi & 0x0F) << 4)));
                if (five) {
                    int bits = (lo >>> 4) << (2 * pair) | (hi >>> 4) << (2 * pair + 1);
                    dst.set(ValueLayout.JAVA_BYTE, qh + l, (byte) (Dequantize.u8(dst, qh + l) | bits));
                }
            }
        }
    }

    /** Stores sub-block j's 6-bit scale and min in the 12-byte layout {@link Dequantize#kScale} reads. */
    private static void packScaleMin(byte[] s, int j, int scale, int min) {
        if (j < 4) {
            s[j] = (byte) scale;
            s[j + 4] = (byte) min;
        } else {
            s[j + 4] = (byte) ((scale & 0x0F) | ((min & 0x0F) << 4));
            s[j - 4] |= (byte) ((scale >>> 4) << 6);
            s[j] |= (byte) ((min >>> 4) << 6);
        }
    }

    /**
     * The scale and offset for n = 32 values x[o..] on levels 0..nmax (value ~ scale * level - min),
     * minimising the weighted squared error: starting from the plain range [min(x, 0), max(x)], it
     * tries nstep + 1 slightly stretched or shrunk grids (rmin + rdelta * step extra levels), fits
     * scale and offset to each grid's levels by weighted least squares, and keeps the best. The
     * offset never goes above zero (mins are stored as non-negative amounts subtracted). The chosen
     * levels go to {@code levels[lo ..]}, the scale to {@code fit[0]} and the min, the amount
     * subtracted (>= 0), to {@code fit[1]}; {@code trial} is scratch for 32 levels.
     */
    private static void fitScaleMin(float[] x, int o, float[] w, int nmax, int[] levels, int lo,
                                    float rmin, float rdelta, int nstep, int[] trial, float[] fit) {
        int n = 32;
        float min = x[o], max = x[o], sumW = w[0], sumX = sumW * x[o];
        for (int i = 1; i < n; i++) {
            if (x[o + i] < min) min = x[o + i];
            if (x[o + i] > max) max = x[o + i];
            sumW += w[i];
            sumX += w[i] * x[o + i];
        }
        if (min > 0) min = 0;
        if (max == min) {
            for (int i = 0; i < n; i++) levels[lo + i] = 0;
            fit[0] = 0f;
            fit[1] = -min;
            return;
        }
        float iscale = nmax / (max - min), scale = 1 / iscale, bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = Math.clamp(nearestInt(iscale * (x[o + i] - min)), 0, nmax);
            levels[lo + i] = l;
            float diff = scale * l + min - x[o + i];
            bestError += w[i] * (diff * diff);
        }
        for (int step = 0; step <= nstep; step++) {
            iscale = (rmin + rdelta * step + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.clamp(nearestInt(iscale * (x[o + i] - min)), 0, nmax);
                trial[i] = l;
                sumL += w[i] * l;
                sumL2 += w[i] * l * l;
                sumXL += w[i] * l * x[o + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (!(det > 0)) continue; // degenerate grid (all values on one level)
            float thisScale = (sumW * sumXL - sumX * sumL) / det;
            float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
            if (thisMin > 0) { // an offset above zero cannot be stored: fit the scale alone
                thisMin = 0;
                thisScale = sumXL / sumL2;
            }
            float error = 0;
            for (int i = 0; i < n; i++) {
                float diff = thisScale * trial[i] + thisMin - x[o + i];
                error += w[i] * (diff * diff);
            }
            if (error < bestError) {
                System.arraycopy(trial, 0, levels, lo, n);
                bestError = error;
                scale = thisScale;
                min = thisMin;
            }
        }
        fit[0] = scale;
        fit[1] = -min;
    }

    /**
     * Q6_K: each sub-block of 16 gets a signed scale by {@link #fitSymmetric}; the 16 scales are
     * quantized to signed bytes against the one of largest magnitude (which maps to -128, float16 d),
     * and the values are re-quantized to -32..31 with the scales as stored.
     */
    private static void q6K(float[] x, int o, MemorySegment dst, long at) {
        int[] levels = new int[256]; // level + 32, in 0..63
        float[] scales = new float[16];
        float maxScale = 0, maxAbsScale = 0;
        for (int ib = 0; ib < 16; ib++) {
            scales[ib] = fitSymmetric(x, o + 16 * ib, levels, 16 * ib);
            if (Math.abs(scales[ib]) > maxAbsScale) {
                maxAbsScale = Math.abs(scales[ib]);
                maxScale = scales[ib];
            }
        }
        dst.asSlice(at, 210).fill((byte) 0);
        if (maxAbsScale < GROUP_MAX_EPS) return; // all (near) zero: an all-zero block
        float iscale = -128f / maxScale;
        dst.set(I16, at + 208, Float.floatToFloat16(1 / iscale));
        float d = Dequantize.half(dst, at + 208);
        for (int ib = 0; ib < 16; ib++) {
            byte scale = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
            dst.set(ValueLayout.JAVA_BYTE, at + 192 + ib, scale);
            float dl = d * scale;
            if (dl == 0) continue; // keeps the levels of its fit
            for (int i = 0; i < 16; i++) {
                levels[16 * ib + i] = Math.clamp(nearestInt(x[o + 16 * ib + i] / dl), -32, 31) + 32;
            }
        }
        // layout (Dequantize.q6K): value l + 32k of each half, k = 0..3: low nibble in ql byte
        // l + 32 (k & 1), shifted by 4 for k >= 2; high two bits at 2k of qh byte l
        int[] q = new int[4];
        for (int half = 0; half < 2; half++) {
            long ql = at + 64L * half, qh = at + 128 + 32L * half;
            for (int l = 0; l < 32; l++) {
                for (int k = 0; k < 4; k++) q[k] = levels[128 * half + 32 * k + l];
                dst.set(ValueLayout.JAVA_BYTE, ql + l, (byte) ((q[0] & 0x0F) | ((q[2] & 0x0F) << 4)));
                dst.set(ValueLayout.JAVA_BYTE, ql + 32 + l, (byte) ((q[1] & 0x0F) | ((q[3] & 0x0F) << 4)));
                dst.set(ValueLayout.JAVA_BYTE, qh + l, (byte) ((q[0] >> 4) | (q[1] >> 4) << 2 | (q[2] >> 4) << 4 | (q[3] >> 4) << 6));
            }
        }
    }

    /**
     * A signed scale for 16 values on levels -32..31 (ggml's make_qx_quants with squared-value
     * weights): the signed extreme maps to -32, then 18 nearby grids (-32 +- 0.1..0.9) are tried
     * and the one whose least-squares scale explains the most of sum(w x^2) is kept. Levels + 32
     * go to {@code levels[lo ..]}.
     */
    private static float fitSymmetric(float[] x, int o, int[] levels, int lo) {
        int n = 16, nmax = 32;
        float max = signedMax(x, o, n);
        if (Math.abs(max) < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) levels[lo + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max, sumLX = 0, sumL2 = 0;
        for (int i = 0; i < n; i++) {
            int l = Math.clamp(nearestInt(iscale * x[o + i]), -nmax, nmax - 1);
            levels[lo + i] = l + nmax;
            float w = x[o + i] * x[o + i];
            sumLX += w * x[o + i] * l;
            sumL2 += w * l * l;
        }
        float scale = sumL2 != 0 ? sumLX / sumL2 : 0f, best = scale * sumLX;
        for (int step = -9; step <= 9; step++) {
            if (step == 0) continue;
            iscale = -(nmax + 0.1f * step) / max;
            sumLX = 0;
            sumL2 = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.clamp(nearestInt(iscale * x[o + i]), -nmax, nmax - 1);
                float w = x[o + i] * x[o + i];
                sumLX += w * x[o + i] * l;
                sumL2 += w * l * l;
            }
            if (sumL2 > 0 && sumLX * sumLX > best * sumL2) {
                for (int i = 0; i < n; i++) levels[lo + i] = nmax + Math.clamp(nearestInt(iscale * x[o + i]), -nmax, nmax - 1);
                scale = sumLX / sumL2;
                best = scale * sumLX;
            }
        }
        return scale;
    }
}

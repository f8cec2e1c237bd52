package sortedllama.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Scalar conversion of stored values to float, one block at a time: for single rows (embedding
 * look-ups), norms and tests, and the definition of every block layout that the vector and native
 * kernels are checked against (tests compare it with ggml's own dequantizer on fixtures written by
 * llama.cpp's library). Offsets are bytes inside one block; "d" and "dmin" are float16 scales.
 */
public final class Dequantize {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;

    /** IQ4_NL's 16 levels (and IQ4_XS's): a non-uniform grid fitted to normally distributed weights. */
    static final byte[] IQ4_LEVELS = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    private Dequantize() {}

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Round-to-nearest-even float to bfloat16, as PyTorch does. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) 0x7FC0;
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** Writes row {@code row} of matrix {@code t} as floats into {@code dst[offset..offset+cols)}. */
    public static void row(Tensor t, int row, float[] dst, int offset) {
        int cols = t.cols();
        MemorySegment seg = t.data().asSlice(row * t.rowBytes(), t.rowBytes());
        values(t.type(), seg, cols, dst, offset);
    }

    /** All of a tensor's values as a new float array (for small tensors such as norm weights). */
    public static float[] all(Tensor t) {
        long n = t.elementCount();
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("tensor " + t.name() + " too large for an array");
        float[] out = new float[(int) n];
        values(t.type(), t.data(), (int) n, out, 0);
        return out;
    }

    /** Decodes {@code count} values of type {@code type} stored at the start of {@code seg}. */
    public static void values(DType type, MemorySegment seg, int count, float[] dst, int offset) {
        switch (type) {
            case F32 -> MemorySegment.copy(seg, F32, 0, dst, offset, count);
            case F16 -> {
                for (int i = 0; i < count; i++) dst[offset + i] = Float.float16ToFloat(seg.get(I16, 2L * i));
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) dst[offset + i] = bf16ToFloat(seg.get(I16, 2L * i));
            }
            default -> {
                for (int b = 0; b < count / type.blockSize; b++) {
                    block(type, seg, (long) b * type.blockBytes, dst, offset + b * type.blockSize);
                }
            }
        }
    }

    /** Decodes the one block of a quantized type at byte {@code at} of {@code seg} into {@code y[o ..]}. */
    public static void block(DType type, MemorySegment seg, long at, float[] y, int o) {
        switch (type) {
            case Q8_0 -> {
                float d = half(seg, at);
                for (int j = 0; j < 32; j++) y[o + j] = d * seg.get(ValueLayout.JAVA_BYTE, at + 2 + j);
            }
            case Q4_0, Q4_1 -> { // d [, m], 16 bytes: value j in the low nibble of byte j, value j+16 in its high nibble
                float d = half(seg, at), m = type == DType.Q4_1 ? half(seg, at + 2) : 0;
                long qs = at + (type == DType.Q4_1 ? 4 : 2);
                for (int j = 0; j < 16; j++) {
                    int packed = u8(seg, qs + j);
                    if (type == DType.Q4_0) {
                        y[o + j] = d * ((packed & 0x0F) - 8);
                        y[o + j + 16] = d * ((packed >>> 4) - 8);
                    } else {
                        y[o + j] = d * (packed & 0x0F) + m;
                        y[o + j + 16] = d * (packed >>> 4) + m;
                    }
                }
            }
            case Q5_0, Q5_1 -> { // d [, m], 32 fifth bits (bit j belongs to value j), nibbles as Q4_0
                boolean offset = type == DType.Q5_1;
                float d = half(seg, at), m = offset ? half(seg, at + 2) : 0;
                long qhAt = at + (offset ? 4 : 2);
                int qh = seg.get(I32, qhAt);
                for (int j = 0; j < 16; j++) {
                    int packed = u8(seg, qhAt + 4 + j);
                    int q0 = (packed & 0x0F) | (((qh >>> j) & 1) << 4);
                    int q1 = (packed >>> 4) | (((qh >>> (j + 16)) & 1) << 4);
                    if (offset) {
                        y[o + j] = d * q0 + m;
                        y[o + j + 16] = d * q1 + m;
                    } else {
                        y[o + j] = d * (q0 - 16);
                        y[o + j + 16] = d * (q1 - 16);
                    }
                }
            }
            case IQ4_NL -> {
                float d = half(seg, at);
                for (int j = 0; j < 16; j++) {
                    int packed = u8(seg, at + 2 + j);
                    y[o + j] = d * IQ4_LEVELS[packed & 0x0F];
                    y[o + j + 16] = d * IQ4_LEVELS[packed >>> 4];
                }
            }
            case Q2_K -> q2K(seg, at, y, o);
            case Q3_K -> q3K(seg, at, y, o);
            case Q4_K, Q5_K -> q45K(type == DType.Q5_K, seg, at, y, o);
            case Q6_K -> q6K(seg, at, y, o);
            case IQ4_XS -> iq4XS(seg, at, y, o);
            case F32, F16, BF16 -> throw new IllegalArgumentException(type + " has no blocks");
        }
    }

    /**
     * Q2_K: scales[16] (low nibble scale, high nibble min of sub-block i), qs[64], d, dmin. Each
     * 128-value half reads 32 bytes of qs four times, 2 bits at a time (shift 0, 2, 4, 6); bytes
     * 0..15 and 16..31 belong to consecutive sub-blocks of 16. value = d*scale*q - dmin*min.
     */
    private static void q2K(MemorySegment seg, long at, float[] y, int o) {
        float d = half(seg, at + 80), dmin = half(seg, at + 82);
        int sub = 0;
        for (int half = 0; half < 2; half++) {
            long qs = at + 16 + 32L * half;
            for (int shift = 0; shift < 8; shift += 2) {
                for (int part = 0; part < 2; part++, sub++) {
                    int sc = u8(seg, at + sub);
                    float dl = d * (sc & 0x0F), ml = dmin * (sc >>> 4);
                    for (int l = 0; l < 16; l++) y[o++] = dl * ((u8(seg, qs + 16 * part + l) >>> shift) & 3) - ml;
                }
            }
        }
    }

    /**
     * Q3_K: hmask[32], qs[64], scales[12], d. Low 2 bits as Q2_K's; a value's third bit is bit
     * (j) of hmask byte l, where j counts the 2-bit planes (0..7) and l the position in 32; a clear
     * bit subtracts 4. The 16 scales are 6 bits (low 4 bits in bytes 0..7, high 2 in bytes 8..11),
     * stored with an offset of 32.
     */
    private static void q3K(MemorySegment seg, long at, float[] y, int o) {
        float d = half(seg, at + 108);
        long scalesAt = at + 96;
        int sub = 0, plane = 0;
        for (int half = 0; half < 2; half++) {
            long qs = at + 32 + 32L * half;
            for (int shift = 0; shift < 8; shift += 2, plane++) {
                for (int part = 0; part < 2; part++, sub++) {
                    float dl = d * (q3Scale(seg, scalesAt, sub) - 32);
                    for (int l = 0; l < 16; l++) {
                        int pos = 16 * part + l;
                        int q = (u8(seg, qs + pos) >>> shift) & 3;
                        boolean high = (u8(seg, at + pos) & (1 << plane)) != 0;
                        y[o++] = dl * (q - (high ? 0 : 4));
                    }
                }
            }
        }
    }

    /** Q3_K's 6-bit scale of sub-block {@code i} (0..15), before its offset of 32 is removed. */
    static int q3Scale(MemorySegment seg, long scalesAt, int i) {
        int low = (u8(seg, scalesAt + (i % 8)) >>> (4 * (i / 8))) & 0x0F;
        int high = (u8(seg, scalesAt + 8 + (i % 4)) >>> (2 * (i / 4))) & 3;
        return low | (high << 4);
    }

    /**
     * Q4_K / Q5_K: d, dmin, scales[12] (eight 6-bit scales and mins, {@link #kScale}),
     * [Q5_K: qh[32]], qs[128]. Each 64 values read 32 bytes of qs: low nibbles are sub-block 2i,
     * high nibbles 2i+1; Q5_K's fifth bit of value l in sub-block s is bit s of qh byte l.
     * value = d*scale*q - dmin*min.
     */
    private static void q45K(boolean five, MemorySegment seg, long at, float[] y, int o) {
        float d = half(seg, at), dmin = half(seg, at + 2);
        long scalesAt = at + 4, qhAt = at + 16, qsAt = at + (five ? 48 : 16);
        for (int pair = 0; pair < 4; pair++) {
            long qs = qsAt + 32L * pair;
            for (int nib = 0; nib < 2; nib++) {
                int sub = 2 * pair + nib;
                float dl = d * kScale(seg, scalesAt, sub), ml = dmin * kMin(seg, scalesAt, sub);
                for (int l = 0; l < 32; l++) {
                    int q = (u8(seg, qs + l) >>> (4 * nib)) & 0x0F;
                    if (five) q |= ((u8(seg, qhAt + l) >>> sub) & 1) << 4;
                    y[o++] = dl * q - ml;
                }
            }
        }
    }

    /**
     * The 6-bit scale of sub-block j (0..7) of a Q4_K/Q5_K block's 12 scale bytes: j < 4 in the low 6
     * bits of byte j; j >= 4 takes its low 4 bits from byte j+4 and its high 2 from the top of byte j-4.
     */
    static int kScale(MemorySegment seg, long s, int j) {
        return j < 4 ? u8(seg, s + j) & 63 : (u8(seg, s + j + 4) & 0x0F) | ((u8(seg, s + j - 4) >>> 6) << 4);
    }

    /** The 6-bit min of sub-block j: j < 4 in byte j+4; j >= 4 the high nibble of byte j+4 and the top of byte j. */
    static int kMin(MemorySegment seg, long s, int j) {
        return j < 4 ? u8(seg, s + j + 4) & 63 : (u8(seg, s + j + 4) >>> 4) | ((u8(seg, s + j) >>> 6) << 4);
    }

    /**
     * Q6_K: ql[128], qh[64], scales[16] (signed), d. Each 128-value half reads 64 bytes of ql and 32
     * of qh: value l + 32k (k = 0..3) takes the low (k < 2) or high (k >= 2) nibble of ql byte l
     * (k even) or l+32 (k odd) and bits 2k, 2k+1 of qh byte l; q - 32 times its sub-block's scale.
     */
    private static void q6K(MemorySegment seg, long at, float[] y, int o) {
        float d = half(seg, at + 208);
        for (int half = 0; half < 2; half++) {
            long ql = at + 64L * half, qh = at + 128 + 32L * half, sc = at + 192 + 8L * half;
            for (int k = 0; k < 4; k++) {
                for (int l = 0; l < 32; l++) {
                    int low = (u8(seg, ql + l + 32 * (k & 1)) >>> (4 * (k >> 1))) & 0x0F;
                    int high = (u8(seg, qh + l) >>> (2 * k)) & 3;
                    int scale = seg.get(ValueLayout.JAVA_BYTE, sc + 2 * k + l / 16);
                    y[o + 128 * half + 32 * k + l] = d * scale * ((low | (high << 4)) - 32);
                }
            }
        }
    }

    /**
     * IQ4_XS: d, scales_h (16 bits: 2 high bits per sub-block), scales_l[4] (a nibble per sub-block),
     * qs[128] (16 bytes per sub-block of 32, nibbles as IQ4_NL's). value = d * (scale - 32) * level.
     */
    private static void iq4XS(MemorySegment seg, long at, float[] y, int o) {
        float d = half(seg, at);
        int scalesH = seg.get(I16, at + 2) & 0xFFFF;
        for (int sub = 0; sub < 8; sub++) {
            int scale = ((u8(seg, at + 4 + sub / 2) >>> (4 * (sub % 2))) & 0x0F) | (((scalesH >>> (2 * sub)) & 3) << 4);
            float dl = d * (scale - 32);
            long qs = at + 8 + 16L * sub;
            for (int j = 0; j < 16; j++) {
                int packed = u8(seg, qs + j);
                y[o + 32 * sub + j] = dl * IQ4_LEVELS[packed & 0x0F];
                y[o + 32 * sub + j + 16] = dl * IQ4_LEVELS[packed >>> 4];
            }
        }
    }

    static float half(MemorySegment seg, long at) {
        return Float.float16ToFloat(seg.get(I16, at));
    }

    static int u8(MemorySegment seg, long at) {
        return seg.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }
}

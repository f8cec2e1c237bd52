package sortedllama.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Scalar conversion of stored values to float: for single rows (embedding look-ups), norms and tests. */
public final class Dequantize {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;

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
            case Q8_0 -> {
                for (int b = 0; b < count / 32; b++) {
                    long base = (long) b * 34;
                    float scale = Float.float16ToFloat(seg.get(I16, base));
                    for (int j = 0; j < 32; j++) {
                        dst[offset + b * 32 + j] = scale * seg.get(ValueLayout.JAVA_BYTE, base + 2 + j);
                    }
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < count / 32; b++) {
                    long base = (long) b * 18;
                    float scale = Float.float16ToFloat(seg.get(I16, base));
                    for (int j = 0; j < 16; j++) {
                        int packed = seg.get(ValueLayout.JAVA_BYTE, base + 2 + j) & 0xFF;
                        dst[offset + b * 32 + j] = scale * ((packed & 0x0F) - 8);
                        dst[offset + b * 32 + j + 16] = scale * ((packed >>> 4) - 8);
                    }
                }
            }
        }
    }
}

package sortedllama.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Floats to stored types, as ggml and PyTorch round them: for writing GGUF/safetensors files and
 * for building test tensors. Q8_0 and Q4_0 follow ggml's reference quantisers.
 */
public final class Quantize {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private Quantize() {}

    /** A tensor of type {@code type} holding {@code values} (row-major), allocated in {@code arena}. */
    public static Tensor tensor(String name, DType type, long[] shape, float[] values, Arena arena) {
        MemorySegment seg = arena.allocate(type.bytesFor(Tensor.elementCount(shape)), 16);
        encode(type, values, seg);
        return new Tensor(name, type, shape, seg);
    }

    /** C's roundf, which ggml uses (Math.round rounds -2.5 to -2, roundf to -3). */
    static int roundHalfAwayFromZero(float v) {
        return (int) (Math.signum(v) * Math.floor(Math.abs((double) v) + 0.5));
    }

    /** Writes {@code values} in {@code type}'s layout at the start of {@code dst}. */
    public static void encode(DType type, float[] values, MemorySegment dst) {
        int n = values.length;
        switch (type) {
            case F32 -> MemorySegment.copy(values, 0, dst, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, n);
            case F16 -> {
                for (int i = 0; i < n; i++) dst.set(I16, 2L * i, Float.floatToFloat16(values[i]));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) dst.set(I16, 2L * i, Dequantize.floatToBf16(values[i]));
            }
            case Q8_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    float amax = 0;
                    for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(values[32 * b + j]));
                    float d = amax / 127f, id = d != 0 ? 1f / d : 0f;
                    long base = 34L * b;
                    dst.set(I16, base, Float.floatToFloat16(d));
                    for (int j = 0; j < 32; j++) {
                        dst.set(ValueLayout.JAVA_BYTE, base + 2 + j, (byte) roundHalfAwayFromZero(values[32 * b + j] * id));
                    }
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    // ggml: the value of largest magnitude, with its sign, maps to -8
                    float max = 0, amax = 0;
                    for (int j = 0; j < 32; j++) {
                        float v = values[32 * b + j];
                        if (Math.abs(v) > amax) {
                            amax = Math.abs(v);
                            max = v;
                        }
                    }
                    float d = max / -8f, id = d != 0 ? 1f / d : 0f;
                    long base = 18L * b;
                    dst.set(I16, base, Float.floatToFloat16(d));
                    for (int j = 0; j < 16; j++) {
                        int lo = Math.min(15, (int) (values[32 * b + j] * id + 8.5f));
                        int hi = Math.min(15, (int) (values[32 * b + 16 + j] * id + 8.5f));
                        dst.set(ValueLayout.JAVA_BYTE, base + 2 + j, (byte) (lo | (hi << 4)));
                    }
                }
            }
        }
    }
}

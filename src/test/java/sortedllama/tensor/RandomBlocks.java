package sortedllama.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

/**
 * Test matrices of any type: float types and the types {@link Quantize} writes from Gaussian
 * values; the other block types as random bytes (every bit pattern of a block is a valid block)
 * with their float16 scales set to modest values, so every code path of a decoder is exercised.
 */
final class RandomBlocks {
    private RandomBlocks() {}

    /** Byte offsets of the float16 scales (d, dmin) inside one block of each quantized type. */
    static int[] scaleOffsets(DType type) {
        return switch (type) {
            case Q8_0, Q4_0, Q5_0, IQ4_NL, IQ4_XS, Q4_1, Q5_1, Q4_K, Q5_K -> type == DType.Q4_1 || type == DType.Q5_1
                    || type == DType.Q4_K || type == DType.Q5_K ? new int[] {0, 2} : new int[] {0};
            case Q2_K -> new int[] {80, 82};
            case Q3_K -> new int[] {108};
            case Q6_K -> new int[] {208};
            case F32, F16, BF16 -> new int[0];
        };
    }

    /** Columns for a test of {@code type}: {@code base} (a multiple of 32) or, for 256-value blocks, 512. */
    static int cols(DType type, int base) {
        return type.blockSize == 256 ? 512 : base;
    }

    static Tensor matrix(DType type, int rows, int cols, long seed, Arena arena) {
        Random rnd = new Random(seed);
        if (!type.isQuantized() || type == DType.Q8_0 || type == DType.Q4_0) {
            float[] v = new float[rows * cols];
            for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
            return Quantize.tensor("w", type, new long[] {rows, cols}, v, arena);
        }
        long bytes = type.bytesFor((long) rows * cols);
        MemorySegment seg = arena.allocate(bytes, 16);
        for (long i = 0; i < bytes; i++) seg.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt(256));
        for (long b = 0; b < bytes / type.blockBytes; b++) {
            for (int off : scaleOffsets(type)) {
                float scale = (float) ((0.5 + rnd.nextDouble()) * 0.05);
                seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, b * type.blockBytes + off, Float.floatToFloat16(scale));
            }
        }
        return new Tensor("w", type, new long[] {rows, cols}, seg);
    }

    /** The inputs as the kernels for {@code type} see them: rounded to 8-bit blocks for quantized weights ({@link ActivationBlocks}). */
    static float[] asKernelsSeeThem(DType type, float[] x) {
        int block = ActivationBlocks.blockFor(type);
        return block == 0 ? x : ActivationBlocks.roundTrip(block, x, x.length);
    }
}

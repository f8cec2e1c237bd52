package sortedllama.tensor;

/**
 * The one rule for inputs of products with block-quantized weights: the input vector is rounded to
 * 8-bit blocks first, as llama.cpp rounds its activations, in every regime (decoding, few-token
 * verification, prefill): the native integer kernels multiply those 8-bit values; the Java kernels
 * and sgemm multiply their float values, {@link #roundTrip}. So a quantized model gives the same
 * logits (up to float32 summation order) whichever path computes a position, and its losses agree
 * with llama.cpp's on the same file.
 *
 * <ul>
 *   <li>Blocks of 32, for weight types with 32-value blocks (llama.cpp's Q8_0 activations):
 *       d = max|x| / 127 rounded to float16, q = round-half-even(x * (127 / max|x|)).</li>
 *   <li>Blocks of 256, for the K types and IQ4_XS (llama.cpp's Q8_K): m = the value of largest
 *       magnitude, s = -127 / m, q = min(127, round-half-even(x * s)), d = 1 / s.</li>
 * </ul>
 * kernels.c quantizes with the same operations; NativeKernelsTest holds the two together bit for bit.
 */
public final class ActivationBlocks {
    private ActivationBlocks() {}

    /** Values per input block for weights of {@code type}: 32 or 256, or 0 for float types (inputs used as they are). */
    public static int blockFor(DType type) {
        return !type.isQuantized() ? 0 : type.blockSize == 256 ? 256 : 32;
    }

    /** {@code x[0 .. n)} rounded to 8-bit blocks of {@code block} values and expanded back to floats (a new array). */
    public static float[] roundTrip(int block, float[] x, int n) {
        float[] out = new float[n];
        // blocks are independent: for a prefill's inputs (hundreds of vectors) the cores share them
        Parallel.forRange(n / block, 64, (from, to) -> {
            for (int b = from; b < to; b++) {
                if (block == 32) roundTrip32(x, b * block, out);
                else roundTrip256(x, b * block, out);
            }
        });
        return out;
    }

    private static void roundTrip32(float[] x, int start, float[] out) {
        float amax = 0;
        for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(x[start + i]));
        float inv = amax != 0 ? 127.0f / amax : 0.0f;
        float d = Float.float16ToFloat(Float.floatToFloat16(amax / 127.0f));
        for (int i = 0; i < 32; i++) out[start + i] = d * (float) Math.rint(x[start + i] * inv);
    }

    private static void roundTrip256(float[] x, int start, float[] out) {
        float amax = 0, max = 0;
        for (int i = 0; i < 256; i++) {
            float v = x[start + i];
            if (Math.abs(v) > amax) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float scale = amax != 0 ? -127.0f / max : 0.0f;
        float d = amax != 0 ? 1.0f / scale : 0.0f;
        for (int i = 0; i < 256; i++) out[start + i] = d * (float) Math.min(127, Math.rint(x[start + i] * scale));
    }
}

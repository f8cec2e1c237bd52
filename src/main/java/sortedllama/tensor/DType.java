package sortedllama.tensor;

/**
 * Element types a weight tensor can be stored in: the float types and the block-quantized types of
 * GGUF files as llama.cpp's quantization recipes write them. Quantized types store blocks of
 * {@link #blockSize} values in {@link #blockBytes} bytes, laid out along the row; "K" types are
 * super-blocks of 256 values made of 8 or 16 sub-blocks with scales of their own. The layouts
 * (byte offsets inside a block) are spelled out once, in {@link Dequantize}, whose scalar decoders
 * are the definition every faster kernel is tested against.
 */
public enum DType {
    F32(1, 4, 0),
    F16(1, 2, 1),
    BF16(1, 2, 30),
    /** 32 values: float16 scale d, then 32 signed bytes. value = d * q. */
    Q8_0(32, 34, 8),
    /** 32 values: float16 d, then 16 bytes; low nibbles are values 0..15, high nibbles 16..31. value = d * (q - 8). */
    Q4_0(32, 18, 2),
    /** As Q4_0 with a float16 offset m after d: value = d * q + m (q in 0..15). */
    Q4_1(32, 20, 3),
    /** float16 d, 4 bytes of fifth bits (bit j is value j's), 16 bytes of nibbles as Q4_0. value = d * (q - 16). */
    Q5_0(32, 22, 6),
    /** As Q5_0 with a float16 offset m after d: value = d * q + m (q in 0..31). */
    Q5_1(32, 24, 7),
    /** 256 values, 16 sub-blocks of 16: 4-bit scale and min per sub-block, 2-bit values, float16 d and dmin. */
    Q2_K(256, 84, 10),
    /** 256 values, 16 sub-blocks of 16: 2 low bits + a high-bit mask, 6-bit signed scales, float16 d. */
    Q3_K(256, 110, 11),
    /** 256 values, 8 sub-blocks of 32: float16 d and dmin, 6-bit scales and mins, 4-bit values. */
    Q4_K(256, 144, 12),
    /** As Q4_K with a fifth bit per value. */
    Q5_K(256, 176, 13),
    /** 256 values, 16 sub-blocks of 16: 4 low + 2 high bits per value, 8-bit signed scales, float16 d. */
    Q6_K(256, 210, 14),
    /** As Q4_0, each nibble indexing a fixed non-uniform table of 16 levels. */
    IQ4_NL(32, 18, 20),
    /** 256 values, 8 sub-blocks of 32: IQ4_NL's levels with a 6-bit scale per sub-block. */
    IQ4_XS(256, 136, 23);

    public final int blockSize;
    public final int blockBytes;
    /** The type's id in GGUF's ggml_type enum. */
    public final int ggmlId;

    DType(int blockSize, int blockBytes, int ggmlId) {
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
        this.ggmlId = ggmlId;
    }

    public boolean isQuantized() {
        return blockSize > 1;
    }

    /** Bytes needed for {@code elements} values; elements must be a multiple of the block size. */
    public long bytesFor(long elements) {
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(this + " needs a multiple of " + blockSize + " values, got " + elements);
        }
        return elements / blockSize * blockBytes;
    }

    /** The type with this GGUF id, or null if we do not support it. */
    public static DType fromGgmlId(int id) {
        for (DType t : values()) {
            if (t.ggmlId == id) return t;
        }
        return null;
    }
}

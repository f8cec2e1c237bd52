package sortedllama.tensor;

/**
 * Element types a weight tensor can be stored in. Quantized types store blocks of
 * {@link #blockSize} values in {@link #blockBytes} bytes, laid out along the row.
 */
public enum DType {
    F32(1, 4, 0),
    F16(1, 2, 1),
    BF16(1, 2, 30),
    /** 32 values: one float16 scale, then 32 signed bytes. value = scale * q. */
    Q8_0(32, 34, 8),
    /** 32 values: one float16 scale, then 16 bytes; low nibbles are values 0..15, high nibbles 16..31. value = scale * (q - 8). */
    Q4_0(32, 18, 2);

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

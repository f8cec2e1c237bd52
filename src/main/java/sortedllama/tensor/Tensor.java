package sortedllama.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A named block of weights in one of the {@link DType}s, usually a slice of a memory-mapped file.
 * Shapes follow PyTorch's order: a matrix is {@code [rows, cols]} with rows contiguous, and a
 * quantized matrix packs each row into {@code cols / blockSize} blocks. Data is little-endian.
 *
 * @param rowGroups null, or the same matrix repacked eight rows at a time for the native kernels
 *                  ({@link NativeKernels#withRowGroups}), which then read only these (decoding, AMX
 *                  prefill, expansion to floats); {@code data} stays the source of row lookups, the Java
 *                  kernels and writing. Neither changes once multiplied.
 */
public record Tensor(String name, DType type, long[] shape, MemorySegment data, MemorySegment rowGroups) {

    public Tensor {
        long expected = type.bytesFor(elementCount(shape));
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor " + name + ": " + type + " " + Arrays.toString(shape)
                    + " needs " + expected + " bytes, got " + data.byteSize());
        }
    }

    public Tensor(String name, DType type, long[] shape, MemorySegment data) {
        this(name, type, shape, data, null);
    }

    public static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public long elementCount() {
        return elementCount(shape);
    }

    public int rows() {
        return (int) shape[0];
    }

    public int cols() {
        return (int) shape[shape.length - 1];
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }

    /** Bytes occupied by one row of a matrix. */
    public long rowBytes() {
        return type.bytesFor(cols());
    }
}

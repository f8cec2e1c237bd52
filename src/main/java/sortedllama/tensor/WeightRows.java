package sortedllama.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels over one stored row of a weight matrix, for each {@link DType}:
 * {@code dot} multiplies the row with a float vector without materialising it (decoding is
 * memory-bound, so weights are read once, in their compact form), and {@code decode} expands
 * it to floats (for products with several vectors, where the expansion is amortised).
 */
public final class WeightRows {
    static final VectorSpecies<Float> FS = Vec.S; // the species Vec.sumLanesTree reduces
    static final int L = Vec.L;
    private static final VectorSpecies<Byte> BS = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    private static final VectorSpecies<Byte> BLOCK32 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> SS = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    private static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, FS.vectorShape());
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    static {
        if (32 % L != 0 || L > 16) throw new IllegalStateException("unsupported vector width: " + L + " floats");
    }

    private WeightRows() {}

    /** Dot product of row {@code row} of {@code w} with {@code x[xOff .. xOff+cols)}. */
    public static float dot(Tensor w, int row, float[] x, int xOff) {
        MemorySegment seg = w.data();
        long off = row * w.rowBytes();
        int n = w.cols();
        return switch (w.type()) {
            case F32 -> dotF32(seg, off, x, xOff, n);
            case F16 -> dotHalf(seg, off, x, xOff, n, false);
            case BF16 -> dotHalf(seg, off, x, xOff, n, true);
            case Q8_0 -> dotQ8(seg, off, x, xOff, n);
            case Q4_0 -> dotQ4(seg, off, x, xOff, n);
            default -> dotDecoded(w, row, x, xOff);
        };
    }

    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    /** Types without a fused float kernel: the row expanded to floats, then a float dot product. */
    private static float dotDecoded(Tensor w, int row, float[] x, int xOff) {
        float[] tmp = SCRATCH.get();
        if (tmp.length < w.cols()) SCRATCH.set(tmp = new float[w.cols()]);
        Dequantize.row(w, row, tmp, 0);
        return Vec.dotTree(tmp, 0, x, xOff, w.cols());
    }

    /** Writes row {@code row} of {@code w} as floats into {@code dst[0 .. cols)}. */
    public static void decode(Tensor w, int row, float[] dst) {
        MemorySegment seg = w.data();
        long off = row * w.rowBytes();
        int n = w.cols();
        switch (w.type()) {
            case F32 -> MemorySegment.copy(seg, F32, off, dst, 0, n);
            case F16, BF16 -> {
                boolean bf16 = w.type() == DType.BF16;
                int i = 0;
                for (; i + L <= n; i += L) halfToFloat(seg, off + 2L * i, bf16).intoArray(dst, i);
                for (; i < n; i++) dst[i] = scalarHalf(seg.get(I16, off + 2L * i), bf16);
            }
            case Q8_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    long base = off + 34L * b;
                    FloatVector scale = scale(seg, base);
                    for (int j = 0; j < 32; j += L) q8(seg, base + 2 + j).mul(scale).intoArray(dst, 32 * b + j);
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    long base = off + 18L * b;
                    FloatVector scale = scale(seg, base);
                    for (int j = 0; j < 16; j += L) {
                        ByteVector packed = ByteVector.fromMemorySegment(BS, seg, base + 2 + j, LE);
                        lowNibbles(packed).mul(scale).intoArray(dst, 32 * b + j);
                        highNibbles(packed).mul(scale).intoArray(dst, 32 * b + 16 + j);
                    }
                }
            }
            default -> Dequantize.row(w, row, dst, 0);
        }
    }

    /**
     * {@code out[t * rows + row] = W[row] . x[t * cols ..]} for every one of {@code tokens} vectors,
     * reading the row from memory once: speculative verification multiplies each weight with a
     * handful of hidden states, and for memory-bound weights that costs little more than one.
     * Float rows: each L-wide slice is expanded to floats in registers once and multiplied with
     * four vectors at a time, then two; a last single vector, and every vector of a block-quantized
     * row, goes through {@link #dot} (the row is then re-read from L1: expanding bytes costs more
     * than reading them again).
     *
     * <p>Batch-invariant: every vector's result has exactly the bits {@link #dot} gives it alone
     * (one accumulator over the slices in the same order, the same lane sum, the same tail), so a
     * position verified with others gets the logits it would get decoded alone, and speculative
     * decoding's greedy output is full-depth greedy output bit for bit, not only up to rounding.
     */
    public static void dotTokens(Tensor w, int row, float[] x, int tokens, float[] out, int rows) {
        int n = w.cols();
        DType type = w.type();
        int t = 0;
        if (type == DType.F32 || type == DType.F16 || type == DType.BF16) {
            MemorySegment seg = w.data();
            long off = row * w.rowBytes();
            // Three vectors go as four with the third repeated where expanding a slice to floats costs
            // more than the fourth's FMAs; float32 slices need no expanding, so there three are two and one.
            int groupOfFourFrom = type == DType.F32 ? 4 : 3;
            while (tokens - t >= groupOfFourFrom) {
                int count = Math.min(4, tokens - t);
                dotTimes4(seg, off, type, x, t * n, n, count, out, t * rows + row, rows);
                t += count;
            }
            if (tokens - t >= 2) {
                dotTimes2(seg, off, type, x, t * n, n, out, t * rows + row, rows);
                t += 2;
            }
        }
        for (; t < tokens; t++) out[t * rows + row] = dot(w, row, x, t * n);
    }

    /** Columns i .. i+L of the float-type row at {@code off}, as floats. */
    private static FloatVector weights(MemorySegment w, long off, DType type, int i) {
        return switch (type) {
            case F32 -> FloatVector.fromMemorySegment(FS, w, off + 4L * i, LE);
            case F16 -> halfToFloat(w, off + 2L * i, false);
            case BF16 -> halfToFloat(w, off + 2L * i, true);
            default -> throw new IllegalArgumentException(type + " rows are multiplied one vector at a time");
        };
    }

    /**
     * Row at {@code off} times the vectors x[xOff + k*n ..], k < count (3 or 4), into
     * out[outOff + k*outStride]; with three, the third vector fills the fourth lane group too.
     * One accumulator per vector over the slices in order, as in {@link #dotF32}. (Two per vector,
     * even and odd slices, measured slower at three and four vectors, BF16 2.3x and 2.9x the time
     * of one against 1.3x and 1.7x: eight accumulators and two expanded slices crowd the registers.)
     */
    private static void dotTimes4(MemorySegment w, long off, DType type, float[] x, int xOff, int n, int count, float[] out, int outOff,
                                  int outStride) {
        int x1 = xOff + n, x2 = xOff + 2 * n, x3 = xOff + (count - 1) * n;
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector wv = weights(w, off, type, i);
            a0 = wv.fma(FloatVector.fromArray(FS, x, xOff + i), a0);
            a1 = wv.fma(FloatVector.fromArray(FS, x, x1 + i), a1);
            a2 = wv.fma(FloatVector.fromArray(FS, x, x2 + i), a2);
            a3 = wv.fma(FloatVector.fromArray(FS, x, x3 + i), a3);
        }
        out[outOff] = Vec.sumLanesTree(a0) + tail(w, off, type, x, xOff, i, n);
        out[outOff + outStride] = Vec.sumLanesTree(a1) + tail(w, off, type, x, x1, i, n);
        out[outOff + 2 * outStride] = Vec.sumLanesTree(a2) + tail(w, off, type, x, x2, i, n);
        if (count == 4) out[outOff + 3 * outStride] = Vec.sumLanesTree(a3) + tail(w, off, type, x, x3, i, n);
    }

    /** As {@link #dotTimes4} for two vectors. */
    private static void dotTimes2(MemorySegment w, long off, DType type, float[] x, int xOff, int n, float[] out, int outOff, int outStride) {
        int x1 = xOff + n;
        FloatVector a0 = FloatVector.zero(FS), a1 = a0;
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector wv = weights(w, off, type, i);
            a0 = wv.fma(FloatVector.fromArray(FS, x, xOff + i), a0);
            a1 = wv.fma(FloatVector.fromArray(FS, x, x1 + i), a1);
        }
        out[outOff] = Vec.sumLanesTree(a0) + tail(w, off, type, x, xOff, i, n);
        out[outOff + outStride] = Vec.sumLanesTree(a1) + tail(w, off, type, x, x1, i, n);
    }


    /**
     * Scalar sum of w[i..n) * x[xOff + i ..]: the columns left over after whole vectors (float
     * types only: block types have whole blocks of 32, a multiple of L).
     */
    private static float tail(MemorySegment w, long off, DType type, float[] x, int xOff, int i, int n) {
        float sum = 0;
        for (; i < n; i++) {
            float wi = type == DType.F32 ? w.get(F32, off + 4L * i) : scalarHalf(w.get(I16, off + 2L * i), type == DType.BF16);
            sum += wi * x[xOff + i];
        }
        return sum;
    }

    /**
     * One accumulator over the slices in order, the order every batch size uses ({@link #dotTokens}):
     * its chain of FMAs is hidden by the next rows' loads, decoding being memory-bound.
     */
    private static float dotF32(MemorySegment w, long off, float[] x, int xOff, int n) {
        FloatVector acc = FloatVector.zero(FS);
        int i = 0;
        for (; i + L <= n; i += L) acc = FloatVector.fromMemorySegment(FS, w, off + 4L * i, LE).fma(FloatVector.fromArray(FS, x, xOff + i), acc);
        return Vec.sumLanesTree(acc) + tail(w, off, DType.F32, x, xOff, i, n);
    }

    /** As {@link #dotF32}, each slice expanded from 16 bits first. */
    private static float dotHalf(MemorySegment w, long off, float[] x, int xOff, int n, boolean bf16) {
        FloatVector acc = FloatVector.zero(FS);
        int i = 0;
        for (; i + L <= n; i += L) acc = halfToFloat(w, off + 2L * i, bf16).fma(FloatVector.fromArray(FS, x, xOff + i), acc);
        return Vec.sumLanesTree(acc) + tail(w, off, bf16 ? DType.BF16 : DType.F16, x, xOff, i, n);
    }

    /**
     * Two blocks per iteration with two accumulators: the chain of scaled block sums, not memory,
     * limits this kernel, so independent chains matter. Each block's 32 bytes are loaded at once.
     */
    private static float dotQ8(MemorySegment w, long off, float[] x, int xOff, int n) {
        FloatVector acc0 = FloatVector.zero(FS), acc1 = FloatVector.zero(FS);
        int blocks = n / 32, b = 0;
        for (; b + 1 < blocks; b += 2) {
            long base = off + 34L * b;
            acc0 = q8Block(w, base, x, xOff + 32 * b).fma(scale(w, base), acc0);
            acc1 = q8Block(w, base + 34, x, xOff + 32 * b + 32).fma(scale(w, base + 34), acc1);
        }
        if (b < blocks) {
            long base = off + 34L * b;
            acc0 = q8Block(w, base, x, xOff + 32 * b).fma(scale(w, base), acc0);
        }
        return Vec.sumLanesTree(acc0.add(acc1));
    }

    /** Unscaled partial dot products of one Q8_0 block (at {@code base}) with x[xOff .. xOff+32). */
    private static FloatVector q8Block(MemorySegment w, long base, float[] x, int xOff) {
        ByteVector bytes = ByteVector.fromMemorySegment(BLOCK32, w, base + 2, LE);
        FloatVector sum = ((FloatVector) bytes.castShape(FS, 0)).mul(FloatVector.fromArray(FS, x, xOff));
        for (int part = 1; part < 32 / L; part++) {
            sum = ((FloatVector) bytes.castShape(FS, part)).fma(FloatVector.fromArray(FS, x, xOff + part * L), sum);
        }
        return sum;
    }

    private static FloatVector scale(MemorySegment w, long base) {
        return FloatVector.broadcast(FS, Float.float16ToFloat(w.get(I16, base)));
    }

    private static float dotQ4(MemorySegment w, long off, float[] x, int xOff, int n) {
        FloatVector acc = FloatVector.zero(FS);
        for (int b = 0; b < n / 32; b++) {
            long base = off + 18L * b;
            FloatVector block = FloatVector.zero(FS);
            for (int j = 0; j < 16; j += L) {
                ByteVector packed = ByteVector.fromMemorySegment(BS, w, base + 2 + j, LE);
                block = lowNibbles(packed).fma(FloatVector.fromArray(FS, x, xOff + 32 * b + j), block);
                block = highNibbles(packed).fma(FloatVector.fromArray(FS, x, xOff + 32 * b + 16 + j), block);
            }
            acc = block.fma(scale(w, base), acc);
        }
        return Vec.sumLanesTree(acc);
    }

    private static FloatVector q8(MemorySegment w, long at) {
        return (FloatVector) ByteVector.fromMemorySegment(BS, w, at, LE).castShape(FS, 0);
    }

    private static FloatVector lowNibbles(ByteVector packed) {
        return (FloatVector) packed.and((byte) 0x0F).sub((byte) 8).castShape(FS, 0);
    }

    private static FloatVector highNibbles(ByteVector packed) {
        return (FloatVector) packed.lanewise(VectorOperators.LSHR, 4).sub((byte) 8).castShape(FS, 0);
    }

    /**
     * L half-precision values to floats. bfloat16 is the top half of a float. For IEEE float16 the
     * exponent is rebiased by moving the bits into place and multiplying by 2^112, which also gets
     * subnormals right; infinities and NaNs (exponent 31) get the float exponent 255 explicitly.
     */
    private static FloatVector halfToFloat(MemorySegment w, long at, boolean bf16) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(SS, w, at, LE).castShape(IS, 0);
        if (bf16) return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector magnitude = h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13);
        IntVector scaled = magnitude.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        VectorMask<Integer> infOrNan = h.and(0x7C00).eq(0x7C00);
        IntVector bits = scaled.blend(magnitude.or(0x7F800000), infOrNan);
        return bits.or(sign).reinterpretAsFloats();
    }

    private static float scalarHalf(short bits, boolean bf16) {
        return bf16 ? Dequantize.bf16ToFloat(bits) : Float.float16ToFloat(bits);
    }
}

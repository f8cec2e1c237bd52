package sortedllama.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * BF16 matrix products with float32 sums on AMX tiles ({@code src/main/c/bf16_gemm.c}, in
 * libsortedllama.so beside {@link NativeKernels}'), called through FFM: the operands are rounded to
 * BF16 (to nearest even) and every sum is float32. A product is two steps: {@link #packB} lays op(B)
 * out in the tiles' layout once, then {@link #gemm} computes blocks of C from it on the calling
 * thread (train.Gemm cuts C into such blocks over the cores).
 *
 * <p>Serves only where the CPU has AMX-BF16 and AVX512-BF16 and Linux grants the tiles;
 * {@link #why()} says why not otherwise.
 */
public final class Bf16Gemm {
    private static final MethodHandle PADDED_K, PACK_B, GEMM;
    private static final String WHY;

    static {
        MethodHandle paddedK = null, packB = null, gemm = null;
        String why = null;
        Path lib = NativeKernels.library();
        if (lib == null || !Files.isRegularFile(lib)) {
            why = "the native library is not built (no " + (lib == null ? "libsortedllama.so" : lib) + "; the build needs gcc)";
        } else {
            Linker linker = Linker.nativeLinker();
            var I = ValueLayout.JAVA_INT;
            var J = ValueLayout.JAVA_LONG;
            var F = ValueLayout.JAVA_FLOAT;
            var P = ValueLayout.ADDRESS;
            try {
                SymbolLookup syms = SymbolLookup.libraryLookup(lib, Arena.global());
                int ok = (int) linker.downcallHandle(syms.find("sl_bf16_init").orElseThrow(), FunctionDescriptor.of(I)).invokeExact();
                if (ok == 0) {
                    why = "this CPU lacks AMX-BF16 or AVX512-BF16 (or Linux refused the AMX tiles)";
                } else {
                    // critical: heap arrays are passed in place (no copies of operands that can be 100 MB)
                    var critical = Linker.Option.critical(true);
                    paddedK = linker.downcallHandle(syms.find("sl_bf16_padded_k").orElseThrow(), FunctionDescriptor.of(I, I));
                    packB = linker.downcallHandle(syms.find("sl_bf16_pack_b").orElseThrow(),
                            FunctionDescriptor.ofVoid(I, P, J, I, I, I, I, I, P), critical);
                    gemm = linker.downcallHandle(syms.find("sl_bf16_gemm").orElseThrow(),
                            FunctionDescriptor.of(I, I, I, I, I, P, J, P, J, F, P, J), critical);
                }
            } catch (Throwable t) {
                why = "failed to load " + lib + ": " + t;
                gemm = null;
            }
        }
        PADDED_K = paddedK;
        PACK_B = packB;
        GEMM = gemm;
        WHY = why;
    }

    /** Columns per strip of packed B; blocks of C computed by {@link #gemm} start at multiples of this. */
    public static final int STRIP = 16;

    private Bf16Gemm() {}

    public static boolean available() {
        return GEMM != null;
    }

    /** Why BF16 products are not available, or null when they are. */
    public static String why() {
        return WHY;
    }

    /** k rounded up to the tiles' 32 values: the rows of packed B are pairs of these. */
    public static int paddedK(int k) {
        try {
            return (int) PADDED_K.invokeExact(k);
        } catch (Throwable t) {
            throw new IllegalStateException("sl_bf16_padded_k failed", t);
        }
    }

    /** Words of one strip of packed B (16 columns by all of k), and so the distance between strips. */
    public static long stripWords(int k) {
        return 8L * paddedK(k);
    }

    /**
     * op(B) [k, n] (B stored [n, k] when {@code transB}, rows {@code ldb} elements apart, in {@code type}:
     * F32, F16 or BF16) in the tiles' layout, its columns in strips of {@link #STRIP}, an even number of
     * them (the kernel takes two at a time). The strips are packed over the cores.
     */
    public static int[] packB(DType type, MemorySegment b, int ldb, boolean transB, int k, int n) {
        if (type != DType.F32 && type != DType.F16 && type != DType.BF16) throw new IllegalArgumentException("BF16 products take F32, F16 or BF16, not " + type);
        int strips = (n + 2 * STRIP - 1) / (2 * STRIP) * 2;
        int[] packed = new int[Math.toIntExact(strips * stripWords(k))];
        MemorySegment out = MemorySegment.ofArray(packed);
        Parallel.forRange(strips, 2, (from, to) -> {
            try {
                PACK_B.invokeExact(type.ggmlId, b, (long) ldb, transB ? 1 : 0, k, n, from, to, out);
            } catch (Throwable t) {
                throw new IllegalStateException("sl_bf16_pack_b failed", t);
            }
        });
        return packed;
    }

    /**
     * C[m,n] = beta·C + op(A)·op(B) on the calling thread: op(A) [m,k] float32 (A stored [k,m] when
     * {@code transA}) starting at {@code a}; op(B) from {@link #packB}, starting {@code bWord} words into
     * {@code packedB}: at the strip of C's first column (a multiple of {@link #STRIP}) plus 16 words per
     * pair of k skipped (a product over a piece of k starting at an even value); strips
     * {@code bStride} words apart. Row-major C from {@code c}, rows {@code ldc} floats apart.
     */
    public static void gemm(boolean transA, int m, int n, int k, MemorySegment a, int lda, int[] packedB, long bWord, long bStride,
                            float beta, MemorySegment c, int ldc) {
        int status;
        try {
            status = (int) GEMM.invokeExact(transA ? 1 : 0, m, n, k, a, (long) lda, MemorySegment.ofArray(packedB).asSlice(4 * bWord), bStride,
                    beta, c, (long) ldc);
        } catch (Throwable t) {
            throw new IllegalStateException("sl_bf16_gemm failed", t);
        }
        if (status != 0) throw new OutOfMemoryError("sl_bf16_gemm: no memory to pack A");
    }
}

package sortedllama.tensor;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.bytedeco.javacpp.Loader;

/**
 * OpenBLAS's sgemm, called through FFM. The library comes from the org.bytedeco:openblas jar
 * (JavaCPP extracts and loads it); we bind the C symbol ourselves so that heap float arrays and
 * memory-mapped weights are passed as they are: a "critical" downcall pins heap arrays for the call
 * instead of copying them, which JavaCPP's own wrappers would do.
 */
public final class Blas {
    private static final int ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;

    private static final MethodHandle SGEMM;
    private static final MethodHandle SET_THREADS;

    static {
        Loader.load(org.bytedeco.openblas.global.openblas_nolapack.class);
        SymbolLookup lookup = SymbolLookup.loaderLookup();
        Linker linker = Linker.nativeLinker();
        var I = ValueLayout.JAVA_INT;
        var F = ValueLayout.JAVA_FLOAT;
        var P = ValueLayout.ADDRESS;
        SGEMM = linker.downcallHandle(lookup.find("cblas_sgemm").orElseThrow(),
                FunctionDescriptor.ofVoid(I, I, I, I, I, I, F, P, I, P, I, F, P, I),
                Linker.Option.critical(true));
        SET_THREADS = linker.downcallHandle(lookup.find("openblas_set_num_threads").orElseThrow(),
                FunctionDescriptor.ofVoid(I));
        setThreads(1); // see Matmul: our workers split the rows, OpenBLAS's own pool would spin against them
    }

    private Blas() {}

    static void setThreads(int n) {
        try {
            SET_THREADS.invokeExact(n);
        } catch (Throwable t) {
            throw new IllegalStateException("openblas_set_num_threads failed", t);
        }
    }

    /**
     * C[m,n] = alpha * A[m,k] · op(B) + beta * C, all row-major; op(B) = B^T with B stored [n,k]
     * when {@code transB}, else B stored [k,n]. Segments may be heap (array-backed) or native.
     */
    public static void sgemm(int m, int n, int k, float alpha, MemorySegment a, int lda, MemorySegment b, int ldb,
                             boolean transB, float beta, MemorySegment c, int ldc) {
        sgemm(false, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /** As above, with op(A) = A^T (A stored [k,m]) when {@code transA}. Runs on the calling thread. */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a, int lda,
                             MemorySegment b, int ldb, float beta, MemorySegment c, int ldc) {
        try {
            SGEMM.invokeExact(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, alpha, a, lda, b, ldb,
                    beta, c, ldc);
        } catch (Throwable t) {
            throw new IllegalStateException("cblas_sgemm failed", t);
        }
    }

}

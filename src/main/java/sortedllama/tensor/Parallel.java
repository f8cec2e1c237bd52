package sortedllama.tensor;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * Splits a range of independent work items over the machine's cores. The caller runs the first
 * share itself, so a 2-core machine pays for one hand-off per call, not a pool round trip per item.
 */
public final class Parallel {

    /** Work on items [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private static volatile int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    private static final ForkJoinPool POOL = ForkJoinPool.commonPool();

    private Parallel() {}

    public static int threads() {
        return threads;
    }

    /** Sets how many threads kernels use (at least 1). */
    public static void setThreads(int n) {
        threads = Math.max(1, n);
        Blas.setThreads(threads);
    }

    /**
     * Runs body over [0, n) in at most {@link #threads()} contiguous chunks. Below
     * {@code minPerThread} items per chunk the work stays on the calling thread.
     */
    public static void forRange(int n, int minPerThread, RangeBody body) {
        int chunks = Math.min(threads, Math.max(1, n / Math.max(1, minPerThread)));
        if (chunks <= 1) {
            body.run(0, n);
            return;
        }
        @SuppressWarnings("unchecked")
        ForkJoinTask<?>[] forked = new ForkJoinTask<?>[chunks - 1];
        for (int c = 1; c < chunks; c++) {
            int from = (int) ((long) n * c / chunks), to = (int) ((long) n * (c + 1) / chunks);
            forked[c - 1] = POOL.submit(() -> body.run(from, to));
        }
        body.run(0, (int) ((long) n / chunks));
        for (ForkJoinTask<?> task : forked) task.join();
    }
}

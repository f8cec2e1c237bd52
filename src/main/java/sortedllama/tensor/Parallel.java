package sortedllama.tensor;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Splits a range of independent work items over the machine's cores. Decoding one token calls
 * this ~100 times for a few tens of microseconds each, so hand-offs must cost well under a
 * microsecond: persistent workers spin briefly for the next job (yielding the core now and then)
 * before parking, and the caller runs the first share itself. (ForkJoinPool's wake-up latency
 * made two threads slower than one.)
 * Every participant claims contiguous shares of the range from a shared counter, each a fraction of
 * what is left, so the shares shrink towards the end and the threads finish close together; a worker
 * that the OS has descheduled (another process on the core) delays at most the share it holds, and
 * no share is longer than a quarter of a thread's part.
 * One job runs at a time; a caller that finds the workers busy (concurrent requests) runs its
 * range alone on its own thread, which is the right use of the cores in that case anyway.
 */
public final class Parallel {

    /** Work on items [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    /**
     * Spin iterations before an idle worker parks: about a millisecond on this project's Xeons, where
     * onSpinWait is a PAUSE of about 13 ns (0.87-1.4 ms measured); parking after about 60 us instead
     * changed nothing measurable in the batched server (BENCHMARKS.md).
     */
    private static final int SPINS_BEFORE_PARK = 1 << 16;

    /**
     * Spins between yields of an idle worker (about 0.8 us): a yield is one system call when nothing
     * else waits for the core. In bench serve at 8 clients (request threads, HTTP and the load
     * generator share the 2 cores) it made the batched server 1.3-1.7% faster in alternating runs on
     * two days, the one-at-a-time server the same; greedy decoding alone stayed the same within noise
     * (BENCHMARKS.md).
     */
    private static final int YIELD_EVERY = 64;

    /** Shares per participating thread at least: the longest claim is n / (this * participants). */
    private static final int SHARES_PER_THREAD = 4;

    /**
     * A range being shared out. Each claim takes a share of what is left: (left / (2 * participants)), at most
     * n / ({@value #SHARES_PER_THREAD} * participants) and rounded up to a multiple of {@code grain}. The claims
     * get shorter towards the end, so the caller waits less for the other core's last share than with equal
     * chunks (BENCHMARKS.md, "Shrinking shares").
     */
    private record Job(RangeBody body, int n, int grain, int participants, AtomicInteger next, AtomicInteger left) {
        /** Claims and runs shares until none are left to claim. */
        void help() {
            int longest = Math.max(1, n / (SHARES_PER_THREAD * participants));
            while (true) {
                int from = next.get();
                if (from >= n) return;
                int share = Math.min(longest, (n - from) / (2 * participants));
                share = Math.max(grain, (share + grain - 1) / grain * grain);
                int to = (int) Math.min(n, (long) from + share);
                if (!next.compareAndSet(from, to)) continue;
                try {
                    body.run(from, to);
                } catch (Throwable t) {
                    failure = t;
                }
                left.addAndGet(from - to);
            }
        }
    }

    private static final ReentrantLock BUSY = new ReentrantLock();
    private static final AtomicLong GENERATION = new AtomicLong();
    private static volatile Job job;
    private static volatile Throwable failure;
    private static volatile int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    private static Worker[] workers = new Worker[0];

    private Parallel() {}

    public static int threads() {
        return threads;
    }

    /** Sets how many threads kernels use (at least 1). */
    public static void setThreads(int n) {
        threads = Math.max(1, n);
    }

    /**
     * Runs body over [0, n) on at most {@link #threads()} threads (the caller one of them), which claim
     * contiguous shares of it in turn, shorter towards the end ({@link Job}).
     * With fewer than {@code minPerThread} items per thread the work stays on the calling thread.
     */
    public static void forRange(int n, int minPerThread, RangeBody body) {
        forRange(n, minPerThread, 1, body);
    }

    /**
     * {@link #forRange(int, int, RangeBody)} with shares that start at multiples of {@code grain} (the last may
     * end at n): a product's rows, so that no share cuts a group of rows that the kernels read together.
     */
    public static void forRange(int n, int minPerThread, int grain, RangeBody body) {
        int participants = Math.min(threads, Math.max(1, n / Math.max(1, minPerThread)));
        if (participants <= 1 || !BUSY.tryLock()) {
            body.run(0, n);
            return;
        }
        try {
            Worker[] ws = ensureWorkers(participants - 1);
            Job j = new Job(body, n, Math.max(1, grain), participants, new AtomicInteger(), new AtomicInteger(n));
            failure = null;
            job = j;
            GENERATION.incrementAndGet();
            for (int i = 0; i < participants - 1; i++) {
                if (ws[i].parked) LockSupport.unpark(ws[i]);
            }
            j.help();
            while (j.left().get() > 0) Thread.onSpinWait();
            Throwable t = failure;
            if (t instanceof RuntimeException re) throw re;
            if (t instanceof Error e) throw e;
        } finally {
            BUSY.unlock();
        }
    }

    private static Worker[] ensureWorkers(int needed) {
        if (workers.length < needed) {
            Worker[] grown = Arrays.copyOf(workers, needed);
            for (int i = workers.length; i < needed; i++) {
                grown[i] = new Worker(i + 1, GENERATION.get());
                grown[i].start();
            }
            workers = grown;
        }
        return workers;
    }

    private static final class Worker extends Thread {
        long seen;
        volatile boolean parked;

        Worker(int index, long generation) {
            super("sorted-llama-kernel-" + index);
            this.seen = generation;
            setDaemon(true);
        }

        @Override
        public void run() {
            while (true) {
                long g;
                int spins = 0;
                while ((g = GENERATION.get()) == seen) {
                    if (++spins < SPINS_BEFORE_PARK) {
                        // every YIELD_EVERY spins the core is offered to a runnable thread (a server's
                        // request threads writing tokens) that would otherwise preempt a kernel thread
                        // in the middle of a share and stall the whole product
                        if (spins % YIELD_EVERY == 0) Thread.yield();
                        else Thread.onSpinWait();
                    } else {
                        // Dekker-style with the submitter: it bumps GENERATION, then reads `parked`
                        parked = true;
                        if (GENERATION.get() == seen) LockSupport.park(this);
                        parked = false;
                        spins = 0;
                    }
                }
                seen = g;
                job.help();
            }
        }
    }
}

package sortedllama.tensor;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Splits a range of independent work items over the machine's cores. Decoding one token calls
 * this ~100 times for a few tens of microseconds each, so hand-offs must cost well under a
 * microsecond: persistent workers spin briefly for the next job (yielding the core now and then)
 * before parking, and the caller runs the first share itself. (ForkJoinPool's wake-up latency
 * made two threads slower than one.)
 * Each participant owns a contiguous part of the range and claims shares from its front, each a
 * fraction of what is left of it, so that the kernels' prefetches run on into its next share; one
 * that is done takes shares from the back of the others' parts, so the threads finish close together.
 * A worker that the OS has descheduled (another process on the core) delays at most the share it
 * holds, and no share is longer than a quarter of a thread's part.
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
     * A range being shared out. Participant p owns part p ({@link #partStart}), cut into shares before any runs:
     * from the part's front, each half of what is left of it, at most n / ({@value #SHARES_PER_THREAD} *
     * participants), rounded up to a multiple of {@code grain}, so they get shorter towards its end. The owner
     * claims them from the front; the others, once their own part is done, from the back. The cuts depend only
     * on n, the grain and the participants, never on timing, so a body that sums per share (a reduction) gives
     * the same bits at every run. Owning a part, not claiming the next share of the whole range in turn, keeps
     * each core's reads one stream: the Q8_0 kernels ask for their lines 32 KiB ahead, which with shares handed
     * out in turn was the other core's next share (BENCHMARKS.md, "Two prefetch distances for Q8_0's row groups, a
     * core's own part of a product, the next head's keys").
     *
     * @param cuts  share i is items cuts[i] .. cuts[i+1]-1
     * @param parts part p's shares not yet claimed, packed as first << 32 | end (share indices)
     */
    private record Job(RangeBody body, int[] cuts, AtomicLongArray parts, AtomicInteger left) {
        static Job of(RangeBody body, int n, int grain, int participants) {
            int longest = Math.max(1, n / (SHARES_PER_THREAD * participants));
            int[] cuts = new int[16], firstShare = new int[participants + 1];
            int count = 0;
            for (int p = 0; p < participants; p++) {
                firstShare[p] = count;
                for (int at = partStart(p, n, grain, participants), end = partStart(p + 1, n, grain, participants); at < end; ) {
                    if (count + 2 > cuts.length) cuts = Arrays.copyOf(cuts, 2 * cuts.length);
                    cuts[count++] = at;
                    int share = Math.max(grain, (Math.min(longest, (end - at) / 2) + grain - 1) / grain * grain);
                    at = (int) Math.min(end, (long) at + share);
                }
            }
            firstShare[participants] = count;
            cuts[count] = n;
            var parts = new AtomicLongArray(participants);
            for (int p = 0; p < participants; p++) parts.set(p, (long) firstShare[p] << 32 | firstShare[p + 1]);
            return new Job(body, cuts, parts, new AtomicInteger(n));
        }

        /** Where part p begins: p / participants of the range, down to the grain (n for p = participants). */
        static int partStart(int p, int n, int grain, int participants) {
            return p >= participants ? n : (int) ((long) p * n / participants) / grain * grain;
        }

        /** Runs the shares of its own part (participant {@code self}; a worker beyond the participants has none), then the others'. */
        void help(int self) {
            int participants = parts.length();
            if (self < participants) drain(self, false);
            for (int k = 1; k <= participants; k++) drain((self + k) % participants, true);
        }

        /** Claims and runs part p's shares from its front, or from its back ({@code fromBack}), until none is left. */
        private void drain(int p, boolean fromBack) {
            while (true) {
                long v = parts.get(p);
                int first = (int) (v >>> 32), end = (int) v;
                if (first >= end) return;
                int share = fromBack ? end - 1 : first;
                if (!parts.compareAndSet(p, v, fromBack ? v - 1 : v + (1L << 32))) continue;
                try {
                    body.run(cuts[share], cuts[share + 1]);
                } catch (Throwable t) {
                    failure = t;
                }
                left.addAndGet(cuts[share] - cuts[share + 1]);
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
     * Runs body over [0, n) on at most {@link #threads()} threads (the caller one of them), each through
     * contiguous shares of its own part first, shorter towards the end, then of the others' ({@link Job}).
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
            Job j = Job.of(body, n, Math.max(1, grain), participants);
            failure = null;
            job = j;
            GENERATION.incrementAndGet();
            for (int i = 0; i < participants - 1; i++) {
                if (ws[i].parked) LockSupport.unpark(ws[i]);
            }
            j.help(0);
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
        final int index;
        long seen;
        volatile boolean parked;

        Worker(int index, long generation) {
            super("sorted-llama-kernel-" + index);
            this.index = index;
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
                job.help(index);
            }
        }
    }
}

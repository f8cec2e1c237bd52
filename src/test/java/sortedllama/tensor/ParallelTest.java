package sortedllama.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** How {@link Parallel#forRange} shares a range out: every item once, in shares on the grain, each thread's in few streams. */
class ParallelTest {

    /** A share one call ran: items from .. to-1, on thread {@code by}. */
    private record Share(int from, int to, Thread by) {}

    /** The shares one call made, sorted by from. */
    private static List<Share> shares(int n, int minPerThread, int grain, AtomicIntegerArray runs) {
        List<Share> shares = new ArrayList<>();
        Parallel.forRange(n, minPerThread, grain, (from, to) -> {
            synchronized (shares) {
                shares.add(new Share(from, to, Thread.currentThread()));
            }
            for (int i = from; i < to; i++) runs.incrementAndGet(i);
            // long enough that the other thread claims shares too
            long until = System.nanoTime() + 20_000;
            while (System.nanoTime() < until) Thread.onSpinWait();
        });
        shares.sort(Comparator.comparingInt(Share::from));
        return shares;
    }

    @Test
    void everyItemRunsOnceInSharesOnTheGrainThatEachThreadTakesAsFewStreams() {
        int threads = Parallel.threads();
        for (int n : new int[] {1, 7, 31, 32, 100, 768, 2048, 2304, 32000}) {
            for (int grain : new int[] {1, 16, 32}) {
                var runs = new AtomicIntegerArray(n);
                List<Share> shares = shares(n, 1, grain, runs);
                // a range runs whole on the caller while another thread's range holds the workers: try again
                for (int again = 0; again < 10 && n > grain && shares.size() == 1; again++) {
                    runs = new AtomicIntegerArray(n);
                    shares = shares(n, 1, grain, runs);
                }
                String where = "n " + n + ", grain " + grain;
                for (int i = 0; i < n; i++) assertEquals(1, runs.get(i), "item " + i + " of " + where);
                int end = 0;
                int longest = Math.max(grain, (n / (4 * threads) + grain - 1) / grain * grain);
                for (Share share : shares) {
                    assertEquals(end, share.from(), "shares are contiguous: " + where);
                    assertEquals(0, share.from() % grain, "share " + share.from() + ".." + share.to() + " starts on the grain: " + where);
                    assertTrue(share.to() > share.from(), "no empty share");
                    if (n >= 4 * threads * grain) {
                        assertTrue(share.to() - share.from() <= longest, where + ": share " + share.from() + ".." + share.to() + " is longer than " + longest);
                    }
                    end = share.to();
                }
                assertEquals(n, end);
                // each thread's shares lie in at most one stream per part (its own part from the front, the
                // others' from the back): shares handed out in turn would scatter them
                Map<Thread, List<Share>> byThread = new HashMap<>();
                for (Share share : shares) byThread.computeIfAbsent(share.by(), t -> new ArrayList<>()).add(share);
                for (var entry : byThread.entrySet()) {
                    int streams = 0, last = -1;
                    for (Share share : entry.getValue()) {
                        if (share.from() != last) streams++;
                        last = share.to();
                    }
                    assertTrue(streams <= threads, where + ": " + entry.getKey().getName() + " ran " + streams + " separate streams of shares");
                }
            }
        }
    }

    /** The cuts between shares depend on n, the grain and the threads only, not on which thread ran first: a reduction's sums stay the same. */
    @Test
    void theCutsAreTheSameAtEveryRun() {
        for (int n : new int[] {100, 768, 2048, 32000}) {
            List<int[]> first = null;
            for (int run = 0; run < 20; run++) {
                List<int[]> cuts = shares(n, 1, 32, new AtomicIntegerArray(n)).stream().map(s -> new int[] {s.from(), s.to()}).toList();
                if (cuts.size() == 1) continue; // ran whole on the caller (the workers were busy)
                if (first == null) first = cuts;
                assertEquals(first.size(), cuts.size(), "n " + n + ": shares at run " + run);
                for (int i = 0; i < cuts.size(); i++) assertArrayEquals(first.get(i), cuts.get(i), "n " + n + ": share " + i + " at run " + run);
            }
        }
    }

    @Test
    void fewItemsPerThreadStayOnTheCaller() {
        var runs = new AtomicIntegerArray(100);
        List<Share> shares = shares(100, 64, 1, runs);
        assertEquals(1, shares.size());
        assertEquals(0, shares.get(0).from());
        assertEquals(100, shares.get(0).to());
    }

    @Test
    void aFailureInAShareReachesTheCaller() {
        var failure = new IllegalStateException("share failed");
        var thrown = assertThrows(IllegalStateException.class, () -> Parallel.forRange(1000, 1, 16, (from, to) -> {
            if (from <= 500 && 500 < to) throw failure;
        }));
        assertSame(failure, thrown);
        // and the workers take the next range
        var runs = new AtomicIntegerArray(1000);
        shares(1000, 1, 16, runs);
        for (int i = 0; i < 1000; i++) assertEquals(1, runs.get(i));
    }
}

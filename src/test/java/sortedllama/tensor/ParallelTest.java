package sortedllama.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** How {@link Parallel#forRange} shares a range out: every item once, in shares that start on the grain and shrink. */
class ParallelTest {

    /** The shares one call made, each {from, to}, sorted by from. */
    private static List<int[]> shares(int n, int minPerThread, int grain, AtomicIntegerArray runs) {
        List<int[]> shares = new ArrayList<>();
        Parallel.forRange(n, minPerThread, grain, (from, to) -> {
            synchronized (shares) {
                shares.add(new int[] {from, to});
            }
            for (int i = from; i < to; i++) runs.incrementAndGet(i);
            // long enough that the other thread claims shares too
            long until = System.nanoTime() + 20_000;
            while (System.nanoTime() < until) Thread.onSpinWait();
        });
        shares.sort(Comparator.comparingInt(s -> s[0]));
        return shares;
    }

    @Test
    void everyItemRunsOnceInSharesThatStartOnTheGrainAndGetNoLonger() {
        for (int n : new int[] {1, 7, 31, 32, 100, 768, 2048, 2304, 32000}) {
            for (int grain : new int[] {1, 16, 32}) {
                var runs = new AtomicIntegerArray(n);
                List<int[]> shares = shares(n, 1, grain, runs);
                // a range runs whole on the caller while another thread's range holds the workers: try again
                for (int again = 0; again < 10 && n > grain && shares.size() == 1; again++) {
                    runs = new AtomicIntegerArray(n);
                    shares = shares(n, 1, grain, runs);
                }
                for (int i = 0; i < n; i++) assertEquals(1, runs.get(i), "item " + i + " of " + n + ", grain " + grain);
                int end = 0;
                for (int s = 0; s < shares.size(); s++) {
                    int[] share = shares.get(s);
                    assertEquals(end, share[0], "shares are contiguous: n " + n + ", grain " + grain);
                    assertEquals(0, share[0] % grain, "share " + share[0] + ".." + share[1] + " starts on the grain " + grain);
                    assertTrue(share[1] > share[0], "no empty share");
                    // lengths never grow along the range (the last one may be cut short by n)
                    if (s > 0) {
                        int[] before = shares.get(s - 1);
                        assertTrue(share[1] - share[0] <= before[1] - before[0],
                                "n " + n + ", grain " + grain + ": share " + share[0] + ".." + share[1] + " after " + before[0] + ".." + before[1]);
                    }
                    end = share[1];
                }
                assertEquals(n, end);
                if (Parallel.threads() >= 2 && n >= 4 * Parallel.threads() * grain) {
                    int longest = (n / (4 * Parallel.threads()) + grain - 1) / grain * grain;
                    assertTrue(shares.get(0)[1] - shares.get(0)[0] <= longest, "n " + n + ": first share " + shares.get(0)[1]);
                    int[] last = shares.get(shares.size() - 1);
                    assertTrue(last[1] - last[0] <= grain, "n " + n + ", grain " + grain + ": the last share " + last[0] + ".." + last[1] + " is one grain");
                }
            }
        }
    }

    @Test
    void fewItemsPerThreadStayOnTheCaller() {
        var runs = new AtomicIntegerArray(100);
        List<int[]> shares = shares(100, 64, 1, runs);
        assertEquals(1, shares.size());
        assertEquals(0, shares.get(0)[0]);
        assertEquals(100, shares.get(0)[1]);
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

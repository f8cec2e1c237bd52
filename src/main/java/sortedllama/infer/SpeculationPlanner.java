package sortedllama.infer;

import java.util.Arrays;

/**
 * Decides, for one model and draft exit, whether the next step speculates and with how many
 * drafts, from what speculation has been measured to cost and yield on this machine:
 * <ul>
 *   <li>a, the chance that a draft is accepted: drafts accepted over drafts judged (a draft after a
 *       rejection is never judged, so these are the trials of a geometric count);</li>
 *   <li>d, the time to run one position through the draft exit (layers 1..K and its head);</li>
 *   <li>v(T), the time to verify T = G+1 positions (layers K+1..L and the head, one batched pass);</li>
 *   <li>p, the time of one plain full-depth token.</li>
 * </ul>
 * A round of G drafts takes (G+1)·d + v(G+1) + o (o: choosing and emitting its tokens) and emits
 * 1 + a + ... + a^G tokens on average. How v grows with T depends on the machine and the model
 * (flat while the weights are memory-bound, then linear), so it is measured rather than assumed:
 * adaptive speculation moves G to whichever of G-1, G, G+1 promises the least time per token, an
 * unmeasured neighbour being tried once at its lowest plausible cost. Speculation runs while its
 * expected time per token is a tenth or more below p, and every {@link #PROBE_EVERY} tokens the
 * mode not in use runs once to refresh its figures (the wait doubles while the choice is clear). Costs are the least times seen (noise only adds time), and
 * the acceptance part is a count, not a timing, so timing noise hardly moves the choice.
 *
 * <p>Kept per model and draft exit across generations (a short answer alone is too short to learn
 * from) and shared by concurrent ones.
 */
final class SpeculationPlanner {
    /** Tokens decoded in one mode before the other mode's speed is probed again. */
    static final int PROBE_EVERY = 32;
    /** Longest wait between probes: a probe round then costs about 1% of the time. */
    private static final int MAX_PROBE_INTERVAL = 8 * PROBE_EVERY;
    /**
     * Speculation must promise at least this much less time per token than plain decoding: the
     * cost model's figures carry a few percent of noise, and a marginal gain is not worth risking a
     * loss (measured before the round overhead was in the model: rounds promising 6% ran 8% slower).
     */
    private static final double REQUIRED_GAIN = 0.1;
    /** How fast a cost estimate rises without a lower sample: 2% per sample. */
    private static final double DRIFT = 0.02;
    /** Judged drafts the acceptance rate remembers (older ones fade): enough for a rate within about 0.1. */
    private static final double ACCEPTANCE_MEMORY = 32;

    private final int maxDraft;
    private final double[] verifyNanos; // by T = G + 1; NaN until measured
    private final int[] verifyRounds;   // rounds seen by T: the first is the JIT's warm-up and not kept
    private double judged, accepted;
    private double draftNanosPerPosition = Double.NaN, roundOverheadNanos = Double.NaN, plainNanos = Double.NaN;
    private int current;
    private int tokensSinceProbe, probeInterval = PROBE_EVERY;
    private boolean probing, probedSpeculation;

    SpeculationPlanner(int initialDraft, int maxDraft) {
        this.maxDraft = maxDraft;
        this.current = Math.max(1, Math.min(initialDraft, maxDraft));
        this.verifyNanos = new double[maxDraft + 2];
        this.verifyRounds = new int[maxDraft + 2];
        Arrays.fill(verifyNanos, Double.NaN);
    }

    /**
     * Drafts for the next round, 0 to decode one token plainly.
     *
     * @param fixedDraft the draft length when it is fixed, 0 when it adapts
     * @param fallBack   false: always speculate (tests of speculation itself)
     * @param limit      the most drafts that fit (tokens still wanted, room in the cache)
     */
    synchronized int next(int fixedDraft, boolean fallBack, int limit) {
        if (limit < 1) return 0;
        int g = Math.min(fixedDraft > 0 ? fixedDraft : current, limit);
        if (!fallBack) return g;
        if (Double.isNaN(draftNanosPerPosition)) return g; // nothing measured yet: speculation first
        if (Double.isNaN(plainNanos)) return 0;            // then plain decoding once
        boolean speculate = pays(nanosPerToken(g));
        probing = tokensSinceProbe >= probeInterval;
        if (probing) {
            tokensSinceProbe = 0;
            probedSpeculation = !speculate;
            return speculate ? 0 : g;
        }
        return speculate ? g : 0;
    }

    /**
     * A speculative round: g drafts, of which {@code acceptedDrafts} were accepted before the first
     * rejection (if any); the time of its draft and verify phases and of the whole round (the rest,
     * choosing and emitting tokens, is an overhead per round that plain decoding does not pay).
     */
    synchronized void recordRound(int g, int acceptedDrafts, long draftNanos, long verifyNanos, long roundNanos, int emitted) {
        int trials = acceptedDrafts + (acceptedDrafts < g ? 1 : 0);
        for (int i = 0; i < trials; i++) {
            judged = judged * (1 - 1 / ACCEPTANCE_MEMORY) + 1;
            accepted = accepted * (1 - 1 / ACCEPTANCE_MEMORY) + (i < acceptedDrafts ? 1 : 0);
        }
        draftNanosPerPosition = cost(draftNanosPerPosition, (double) draftNanos / (g + 1));
        roundOverheadNanos = cost(roundOverheadNanos, Math.max(0, roundNanos - draftNanos - verifyNanos));
        // A batch size's first verification runs code the JIT has not compiled for it yet (once
        // measured at 20 times its cost, which kept that size from ever being tried again).
        if (verifyRounds[g + 1]++ > 0) this.verifyNanos[g + 1] = cost(this.verifyNanos[g + 1], verifyNanos);
        current = bestAround(current);
        settle(emitted, true);
    }

    synchronized void recordPlain(long nanos) {
        plainNanos = cost(plainNanos, nanos);
        settle(1, false);
    }

    /** The chance a draft is accepted, as measured so far (NaN before any round). */
    synchronized double acceptance() {
        return judged == 0 ? Double.NaN : accepted / judged;
    }

    /** The draft length adaptive speculation would use now. */
    synchronized int currentDraft() {
        return current;
    }

    private boolean pays(double speculativeNanosPerToken) {
        return speculativeNanosPerToken <= (1 - REQUIRED_GAIN) * plainNanos;
    }

    /** Expected time per emitted token of a round of g drafts. */
    private double nanosPerToken(int g) {
        double a = judged == 0 ? 0 : accepted / judged;
        double tokens = 0, power = 1;
        for (int i = 0; i <= g; i++, power *= a) tokens += power; // 1 + a + ... + a^g
        return ((g + 1) * draftNanosPerPosition + verifyEstimate(g + 1) + roundOverheadNanos) / tokens;
    }

    /**
     * v(T) where measured, else the least it can plausibly be: no less than at any smaller T, and
     * no less per position than at any larger T (a fixed part plus a part per position).
     */
    private double verifyEstimate(int t) {
        if (!Double.isNaN(verifyNanos[t])) return verifyNanos[t];
        double least = 0;
        for (int s = 2; s < verifyNanos.length; s++) {
            if (Double.isNaN(verifyNanos[s])) continue;
            least = Math.max(least, s < t ? verifyNanos[s] : verifyNanos[s] * t / s);
        }
        return least;
    }

    private int bestAround(int g) {
        int best = g;
        double bestNanos = nanosPerToken(g);
        for (int candidate = Math.max(1, g - 1); candidate <= Math.min(maxDraft, g + 1); candidate++) {
            double nanos = nanosPerToken(candidate);
            if (nanos < bestNanos) {
                best = candidate;
                bestNanos = nanos;
            }
        }
        return best;
    }

    /**
     * After a probe: a clear confirmation (the two modes' expected times a fifth apart or more)
     * doubles the wait before the next probe; a switch or a close call resets it, so noise cannot
     * push probes apart.
     */
    private void settle(int tokens, boolean wasSpeculation) {
        tokensSinceProbe += tokens;
        if (!probing || Double.isNaN(plainNanos)) return;
        probing = false;
        double spec = nanosPerToken(current), plain = plainNanos;
        boolean speculate = pays(spec);
        boolean clear = Math.abs(spec - plain) > 0.2 * Math.min(spec, plain);
        boolean confirmed = speculate != wasSpeculation; // the probe ran the mode that was not chosen
        probeInterval = confirmed && clear ? Math.min(MAX_PROBE_INTERVAL, 2 * probeInterval) : PROBE_EVERY;
    }

    /**
     * A cost estimate: the least time seen, drifting up by {@value #DRIFT} per sample so that a
     * lasting rise (a longer context, a busier machine) is followed. Noise only ever adds time
     * (another process, a cold JIT path: a first plain token was once measured at ten times its
     * real cost), so the low end is what the code costs; a running mean would carry every outlier.
     */
    private static double cost(double old, double sample) {
        return Double.isNaN(old) ? sample : Math.min(sample, old * (1 + DRIFT));
    }
}

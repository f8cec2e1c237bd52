package sortedllama.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * The speculation planner against simulated machines: a true acceptance rate, draft cost per
 * position, verification cost by batch size and plain token cost (nanoseconds), drafts accepted at
 * random with the true rate. The planner sees only the measurements, as in decoding.
 */
class SpeculationPlannerTest {

    /** A simulated machine and model. */
    record Machine(double acceptance, double draftNanos, IntToDoubleFunction verifyNanos, double plainNanos) {}

    /** Tokens emitted, and how many of them by speculative rounds. */
    record Outcome(int tokens, int speculated) {
        double speculatedShare() {
            return (double) speculated / tokens;
        }
    }

    static Outcome decode(SpeculationPlanner planner, Machine m, int tokens, int fixedDraft, Random random) {
        int emitted = 0, speculated = 0;
        while (emitted < tokens) {
            int g = planner.next(fixedDraft, true, SpeculativeGenerator.MAX_DRAFT);
            if (g == 0) {
                planner.recordPlain((long) m.plainNanos());
                emitted++;
                continue;
            }
            int accepted = 0;
            while (accepted < g && random.nextDouble() < m.acceptance()) accepted++;
            long draft = (long) ((g + 1) * m.draftNanos()), verify = (long) m.verifyNanos().applyAsDouble(g + 1);
            planner.recordRound(g, accepted, draft, verify, draft + verify + 20, accepted + 1);
            emitted += accepted + 1;
            speculated += accepted + 1;
        }
        return new Outcome(emitted, speculated);
    }

    /** Memory-bound weights: verifying up to 3 positions costs what one does, then each more adds a third. */
    static double memoryBound(int t) {
        return 850 * (t <= 3 ? 1 : 1 + (t - 3) / 3.0);
    }

    @Test
    void speculatesWhereItPaysAndSettlesOnADraftLengthTheVerificationCostAllows() {
        var planner = new SpeculationPlanner(4, SpeculativeGenerator.MAX_DRAFT);
        var m = new Machine(0.7, 150, SpeculationPlannerTest::memoryBound, 1000);
        Outcome o = decode(planner, m, 4000, 0, new Random(1));
        assertTrue(o.speculatedShare() > 0.95, "speculation pays here: " + o.speculatedShare());
        // expected ns per token by G: 1 -> (2*150 + 850) / 1.7 = 676; 2 -> (3*150 + 850) / 2.19 = 594; 3 -> (4*150 + 1133) / 2.53 = 684
        assertEquals(2, planner.currentDraft());
        assertEquals(0.7, planner.acceptance(), 0.08);
    }

    @Test
    void fallsBackToPlainDecodingWhereVerificationCostsAsMuchAsDecodingEveryPosition() {
        var planner = new SpeculationPlanner(4, SpeculativeGenerator.MAX_DRAFT);
        var m = new Machine(0.7, 150, t -> 850.0 * t, 1000); // compute-bound: (G+1) positions always cost at least G+1 tokens
        Outcome o = decode(planner, m, 4000, 0, new Random(2));
        assertTrue(o.speculatedShare() < 0.05, "probes only: " + o.speculatedShare());
    }

    @Test
    void noticesWhenAcceptanceCollapsesAndWhenItReturns() {
        var planner = new SpeculationPlanner(3, SpeculativeGenerator.MAX_DRAFT);
        var random = new Random(3);
        decode(planner, new Machine(0.8, 150, SpeculationPlannerTest::memoryBound, 1000), 2000, 0, random);
        Outcome collapsed = decode(planner, new Machine(0.0, 150, SpeculationPlannerTest::memoryBound, 1000), 2000, 0, random);
        assertTrue(collapsed.speculatedShare() < 0.1, "plain decoding soon after acceptance collapses: " + collapsed.speculatedShare());
        Outcome back = decode(planner, new Machine(0.8, 150, SpeculationPlannerTest::memoryBound, 1000), 2000, 0, random);
        assertTrue(back.speculatedShare() > 0.7, "speculation again once a probe sees drafts accepted: " + back.speculatedShare());
    }

    @Test
    void aColdFirstPlainSampleDoesNotKeepSlowerSpeculationRunning() {
        var planner = new SpeculationPlanner(2, SpeculativeGenerator.MAX_DRAFT);
        assertEquals(2, planner.next(2, true, 16), "speculation is measured first");
        planner.recordRound(2, 0, 3 * 300, 2000, 2900, 1); // no draft accepted: 2.9 us per token
        assertEquals(0, planner.next(2, true, 16), "then plain decoding once");
        planner.recordPlain(20_000); // before the JIT compiled the plain path: ten times its real cost
        var m = new Machine(0.0, 300, t -> 2000, 2000);
        Outcome o = decode(planner, m, 400, 2, new Random(4));
        assertTrue(o.speculatedShare() < 0.3, "one probe at plain's real cost must switch to plain decoding: " + o.speculatedShare());
    }

    @Test
    void aFixedDraftLengthIsKeptAndNoFallBackMeansAlwaysSpeculating() {
        var planner = new SpeculationPlanner(4, SpeculativeGenerator.MAX_DRAFT);
        var m = new Machine(0.0, 150, t -> 850.0 * t, 1000);
        decode(planner, m, 500, 5, new Random(5));
        for (int i = 0; i < 100; i++) {
            int g = planner.next(5, true, 16);
            assertTrue(g == 0 || g == 5, "fixed G or plain: " + g);
            assertEquals(5, planner.next(5, false, 16), "without fall-back every step speculates");
            assertEquals(3, planner.next(5, false, 3), "never more drafts than fit");
            if (g == 0) planner.recordPlain(1000);
            else planner.recordRound(g, 0, 6 * 150, 5100, 6000, 1);
        }
        assertEquals(0, planner.next(5, true, 0), "no room: plain");
    }
}

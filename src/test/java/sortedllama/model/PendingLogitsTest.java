package sortedllama.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

/**
 * When a batched pass computes its logits: once, for every exit that shares the head, unless a
 * sequence must see its logits to decide whether to go on. Driven exit by exit as
 * {@link LlamaModel#step} drives it, with a head that counts its products.
 */
class PendingLogitsTest {
    private static final LlamaConfig C = TestModels.tinyConfig(3, 61, 64);
    private static final LlamaWeights SHARED = TestModels.random(C, 5, 4f).weights();

    /** A head that counts its products; row r's first logit is the sum of its states (the exits in one product share a head). */
    private static final class CountingHead implements PendingLogits.Head {
        final List<Integer> rowsPerProduct = new ArrayList<>();

        public float[] logits(int exit, float[] states, int n) {
            rowsPerProduct.add(n);
            float[] out = new float[n * C.vocabSize()];
            for (int r = 0; r < n; r++) out[r * C.vocabSize()] = (float) Arrays.stream(row(states, r)).sum();
            return out;
        }

        static double[] row(float[] states, int r) {
            double[] d = new double[C.dim()];
            for (int j = 0; j < d.length; j++) d[j] = states[r * C.dim() + j];
            return d;
        }
    }

    /** One new position; wants logits at {@code exits}; leaves where {@code leaves} says (it must leave at the last). */
    private static class Sequence implements StepSequence {
        final int[] exits;
        final IntPredicate leaves;
        final boolean decides, mayDecideLater;
        final float[] states = new float[C.dim()];
        final List<Integer> heard = new ArrayList<>();
        final Map<Integer, Float> firstLogit = new TreeMap<>();

        Sequence(boolean decides, boolean mayDecideLater, IntPredicate leaves, int... exits) {
            this.exits = exits;
            this.leaves = leaves;
            this.decides = decides;
            this.mayDecideLater = mayDecideLater;
            layer(0);
        }

        /** Fixed depth: leaves at its one exit. */
        static Sequence at(int exit) {
            return new Sequence(false, false, e -> true, exit);
        }

        /** The state a layer leaves (distinct per layer, so a copy taken too late shows). */
        void layer(int l) {
            Arrays.fill(states, l + 0.5f);
        }

        public KVCache cache() { return null; }
        public int end() { return 1; }
        public float[] states() { return states; }
        public int statesFrom() { return 0; }
        public int logitsAt(int exit) { return Arrays.stream(exits).anyMatch(e -> e == exit) ? 1 : 0; }
        public boolean mayStay(int exit) { return decides && exit < C.nLayers(); }
        public boolean mayDecideLater() { return mayDecideLater; }

        public boolean exitWith(int exit, float[] logits) {
            heard.add(exit);
            firstLogit.put(exit, logits[0]);
            return !mayStay(exit) || leaves.test(exit);
        }
    }

    /** The pass: layers 1..L, each sequence's state set as it leaves each layer; returns the flush decision at each exit. */
    private static List<Boolean> pass(PendingLogits pending, List<Sequence> sequences) {
        List<StepSequence> active = new ArrayList<>(sequences);
        List<Boolean> flushed = new ArrayList<>();
        for (int exit = 1; exit <= C.nLayers() && !active.isEmpty(); exit++) {
            for (StepSequence s : active) ((Sequence) s).layer(exit);
            boolean now = pending.collect(exit, active);
            flushed.add(now);
            if (now) pending.flush(active);
        }
        assertTrue(active.isEmpty(), "every sequence leaves");
        return flushed;
    }

    /** What the counting head gives for a row that left layer {@code exit}, at that exit. */
    private static float expected(int exit) {
        return C.dim() * (exit + 0.5f);
    }

    @Test
    void exitsThatShareTheHeadTakeOneProductWhenThePassEnds() {
        var head = new CountingHead();
        Sequence shallow = Sequence.at(1), middle = Sequence.at(2), full = Sequence.at(3);
        assertEquals(List.of(false, false, true), pass(new PendingLogits(SHARED, head), List.of(shallow, middle, full)));
        assertEquals(List.of(3), head.rowsPerProduct, "one product of three rows");
        assertEquals(Map.of(1, expected(1)), shallow.firstLogit, "the state it left with, not a deeper one");
        assertEquals(Map.of(2, expected(2)), middle.firstLogit);
        assertEquals(Map.of(3, expected(3)), full.firstLogit);
    }

    @Test
    void aSequenceThatMayDecideLaterGoesAlongAndDecidesFromItsExitsInOrder() {
        var head = new CountingHead();
        // confident at exit 2: it hears exit 1, stays, hears exit 2, leaves, and is not told exit 3
        var adaptive = new Sequence(true, true, e -> e == 2, 1, 2, 3);
        var full = Sequence.at(3);
        assertEquals(List.of(false, false, true), pass(new PendingLogits(SHARED, head), List.of(adaptive, full)));
        assertEquals(List.of(4), head.rowsPerProduct, "one product: its rows at exits 1, 2 and 3 and the full-depth row");
        assertEquals(List.of(1, 2), adaptive.heard);
        assertEquals(expected(1), adaptive.firstLogit.get(1));
        assertEquals(expected(2), adaptive.firstLogit.get(2));
    }

    @Test
    void aSequenceThatMustDecideAtOnceGetsItsLogitsAtItsExitWithTheRowsWaiting() {
        var head = new CountingHead();
        var shallow = Sequence.at(1);
        var propagating = new Sequence(true, false, e -> false, 1, 3);
        var full = Sequence.at(3);
        assertEquals(List.of(true, false, true), pass(new PendingLogits(SHARED, head), List.of(shallow, propagating, full)));
        assertEquals(List.of(2, 2), head.rowsPerProduct, "at exit 1 its row and the shallow one's; at 3 the two full-depth rows");
        assertEquals(List.of(1, 3), propagating.heard);
        assertEquals(Map.of(1, expected(1)), shallow.firstLogit);
    }

    @Test
    void sequencesLeftWaitingOnlyForThemselvesDecideAtOnce() {
        var head = new CountingHead();
        // alone, it must not run a layer it may not need: a product at each of its exits until it leaves
        var adaptive = new Sequence(true, true, e -> e == 2, 1, 2);
        assertEquals(List.of(true, true), pass(new PendingLogits(SHARED, head), List.of(adaptive)));
        assertEquals(List.of(1, 1), head.rowsPerProduct);
        // beside a sequence that leaves at exit 1, it goes along to exit 1 and then decides there with it
        var beside = new Sequence(true, true, e -> e == 2, 1, 2);
        var shallow = Sequence.at(1);
        head.rowsPerProduct.clear();
        assertEquals(List.of(true, true), pass(new PendingLogits(SHARED, head), List.of(beside, shallow)));
        assertEquals(List.of(2, 1), head.rowsPerProduct);
        assertEquals(List.of(1, 2), beside.heard);
    }

    @Test
    void exitsWithHeadsOfTheirOwnTakeAProductEach() {
        var own = new TreeMap<Integer, LlamaWeights.ExitHeadWeights>();
        own.put(1, new LlamaWeights.ExitHeadWeights(SHARED.finalNorm.clone(), SHARED.output));
        var weights = new LlamaWeights(C, SHARED.tokenEmbedding, SHARED.layers, SHARED.finalNorm, SHARED.output, own);
        var head = new CountingHead();
        Sequence shallow = Sequence.at(1), middle = Sequence.at(2), full = Sequence.at(3);
        pass(new PendingLogits(weights, head), List.of(shallow, middle, full));
        // exit 1's norm is its own (the same values, another array): its row goes alone; exits 2 and 3 share the model's
        assertEquals(List.of(1, 2), head.rowsPerProduct);
        assertArrayEquals(new float[] {expected(1), expected(2), expected(3)},
                new float[] {shallow.firstLogit.get(1), middle.firstLogit.get(2), full.firstLogit.get(3)});
    }

    @Test
    void aSequenceThatStaysWhereItMayNotIsAnError() {
        var liar = new Sequence(false, false, e -> false, 1) {
            @Override
            public boolean exitWith(int exit, float[] logits) {
                return false;
            }
        };
        var pending = new PendingLogits(SHARED, new CountingHead());
        List<StepSequence> active = new ArrayList<>(List.of(liar));
        assertTrue(pending.collect(1, active));
        assertFalse(active.contains(liar), "it left when its rows were taken");
        var e = assertThrows(IllegalStateException.class, () -> pending.flush(active));
        assertTrue(e.getMessage().contains("exit 1"), e.getMessage());
    }
}

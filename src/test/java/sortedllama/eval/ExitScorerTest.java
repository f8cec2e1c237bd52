package sortedllama.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaModel;
import sortedllama.model.TestModels;

class ExitScorerTest {

    @Test
    void klAndCosineOnHandCheckedCases() {
        // P = (1/2, 1/2), Q = (1/4, 3/4): KL(P||Q) = 1/2 ln 2 + 1/2 ln(2/3) = 0.5 ln(4/3)
        float[] logP = {(float) Math.log(0.5), (float) Math.log(0.5)};
        float[] logQ = {(float) Math.log(0.25), (float) Math.log(0.75)};
        assertEquals(0.5 * Math.log(4.0 / 3.0), ExitScorer.klDivergence(logP, logQ, 0, 2), 1e-7);
        assertEquals(0.0, ExitScorer.klDivergence(logP, logP, 0, 2), 0);
        // (1, 0) and (1, 1): cos 45 degrees; opposite vectors: -1; offsets are honoured
        assertEquals(Math.sqrt(0.5), ExitScorer.cosine(new float[] {9, 1, 0}, new float[] {9, 1, 1}, 1, 2), 1e-12);
        assertEquals(-1.0, ExitScorer.cosine(new float[] {1, 2}, new float[] {-2, -4}, 0, 2), 1e-12);
        // log-softmax of (0, ln 3) is (ln 1/4, ln 3/4)
        float[] lp = ExitScorer.logProbs(new float[] {0f, (float) Math.log(3)}, 1, 2);
        assertEquals(Math.log(0.25), lp[0], 1e-6);
        assertEquals(Math.log(0.75), lp[1], 1e-6);
    }

    @Test
    void lossAtEachExitIsTheMeanCrossEntropyOfThatExitsLogits() {
        LlamaModel model = TestModels.random(TestModels.tinyConfig(4, 40, 64), 3, 3f);
        int[] ids = new Random(5).ints(30, 0, 40).toArray();
        var scores = new ExitScorer(model).score(ids, ExitSet.parse("1,3,4", 4));
        int vocab = 40;
        for (var s : scores) {
            float[] logits = model.forward(model.newCache(29), Arrays.copyOf(ids, 29), s.layer(), true);
            float[] logProbs = ExitScorer.logProbs(logits, 29, vocab);
            double ce = 0;
            for (int t = 0; t < 29; t++) ce -= logProbs[t * vocab + ids[t + 1]];
            assertEquals(ce / 29, s.loss(), 1e-6, "exit " + s.layer());
            assertEquals(29, s.tokens());
            assertEquals(Math.exp(s.loss()), s.perplexity(), 1e-9);
        }
        assertEquals(0.0, scores[2].klFromLast(), 1e-9);
        assertEquals(1.0, scores[2].cosineWithLast(), 1e-6);
    }

    @Test
    void klAndCosineAreAgainstTheModelsLastLayerWhenItIsNotAmongTheExits() {
        LlamaModel model = TestModels.random(TestModels.tinyConfig(4, 40, 64), 3, 3f);
        int[] ids = new Random(7).ints(20, 0, 40).toArray();
        var subset = new ExitScorer(model).score(ids, ExitSet.parse("1,3", 4));
        var all = new ExitScorer(model).score(ids, ExitSet.all(4));
        for (int e = 0; e < 2; e++) {
            var want = all[subset[e].layer() - 1];
            assertEquals(want.klFromLast(), subset[e].klFromLast(), 1e-9, "exit " + subset[e].layer());
            assertEquals(want.cosineWithLast(), subset[e].cosineWithLast(), 1e-9, "exit " + subset[e].layer());
        }
        // layer 3 is not the reference: it is some distance from layer 4
        assertTrue(subset[1].klFromLast() > 1e-3, "KL of exit 3 from layer 4: " + subset[1].klFromLast());
        assertTrue(subset[1].cosineWithLast() < 1 - 1e-4, "cosine of exit 3 with layer 4: " + subset[1].cosineWithLast());
    }

    @Test
    void sequencesLongerThanTheContextAreScoredInWindows() {
        LlamaModel model = TestModels.random(TestModels.tinyConfig(2, 40, 16), 4, 3f);
        int[] ids = new Random(6).ints(50, 0, 40).toArray();
        var scores = new ExitScorer(model).score(ids, ExitSet.all(2));
        assertEquals(49, scores[0].tokens()); // every id after the first predicted exactly once
    }
}

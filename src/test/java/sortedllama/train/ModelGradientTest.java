package sortedllama.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaConfig;
import sortedllama.model.RopeLayout;

/**
 * Whole-model gradients of the exit objective against finite differences of its loss, at
 * several exit sets, on a few random coordinates of every parameter. Tolerance {@value #TOL} of
 * the parameter's largest gradient component, step 1e-2 (worst observed 2.2e-4: the float32
 * loss's rounding over 2h).
 */
class ModelGradientTest {
    static final double TOL = 2e-3;
    static final int B = 2, T = 9, VOCAB = 20, LAYERS = 3;

    static Stream<Arguments> objectives() {
        return Stream.of(
                Arguments.of("last layer (SFT)", new int[] {3}, new double[] {1}, false),
                Arguments.of("all exits (SoFT)", new int[] {1, 2, 3}, new double[] {1, 1, 1}, true),
                Arguments.of("exits 1,2 weighted, top layer unused", new int[] {1, 2}, new double[] {3, 1}, false));
    }

    static Batch randomBatch(Random rnd, boolean packed) {
        int n = B * T;
        int[] tokens = rnd.ints(n, 0, VOCAB).toArray(), targets = rnd.ints(n, 0, VOCAB).toArray();
        boolean[] mask = new boolean[n];
        for (int i = 0; i < n; i++) mask[i] = rnd.nextDouble() < 0.8;
        int[] segments = packed ? new int[] {0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 2, 2, 2, 2, 2, 2, 2} : null;
        return new Batch(B, T, tokens, targets, mask, segments);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("objectives")
    void gradientsMatchFiniteDifferences(String name, int[] exits, double[] weights, boolean tied) {
        LlamaConfig c = Models.tiny(LAYERS, VOCAB, tied ? RopeLayout.HALF_SPLIT : RopeLayout.INTERLEAVED);
        TrainableModel m = Models.lively(c, 3, tied);
        Random rnd = new Random(5);
        Batch batch = randomBatch(rnd, true);
        ExitObjective objective = new ExitObjective(exits, weights);
        TrainingPass pass = new TrainingPass(m, false);
        m.zeroGrads();
        pass.forwardBackward(batch, objective, 1f);
        double worst = 0;
        for (Param p : m.params()) {
            float[] grad = p.grad().clone();
            int[] coords = rnd.ints(4, 0, p.size()).toArray();
            worst = Math.max(worst, FiniteDifferences.check(name + ": " + p.name(), p.value(), grad, coords, 1e-2, TOL,
                    () -> pass.evaluate(batch, objective).loss()));
        }
        System.out.printf("model FD %s: worst %.2e%n", name, worst);
        if (objective.deepest() < LAYERS) { // layers above the deepest exit take no part
            for (Param p : m.layers[LAYERS - 1].params()) assertArrayEquals(new float[p.size()], p.grad(), p.name());
        }
    }

    @Test
    void checkpointingGivesTheSameBits() {
        LlamaConfig c = Models.tiny(LAYERS, VOCAB, RopeLayout.INTERLEAVED);
        ExitObjective objective = new ExitObjective(new int[] {1, 3}, new double[] {1, 1});
        Batch batch = randomBatch(new Random(8), false);
        TrainableModel plain = Models.lively(c, 4, false), checkpointed = Models.lively(c, 4, false);
        ExitLosses a = new TrainingPass(plain, false).forwardBackward(batch, objective, 1f);
        ExitLosses b = new TrainingPass(checkpointed, true).forwardBackward(batch, objective, 1f);
        assertEquals(a.loss(), b.loss());
        for (int i = 0; i < plain.params().size(); i++) {
            Param p = plain.params().get(i);
            assertArrayEquals(p.grad(), checkpointed.params().get(i).grad(), p.name());
        }
    }

    /**
     * Two documents packed into one sequence with segment ids give the losses and gradients of
     * the two documents run as separate sequences: no attention across the boundary, rotary
     * positions restarting. (Not bit-identical: products of other shapes round differently.)
     */
    @Test
    void packedDocumentsAreIndependent() {
        LlamaConfig c = Models.tiny(2, VOCAB, RopeLayout.INTERLEAVED);
        ExitObjective objective = ExitObjective.equal(ExitSet.all(2));
        Random rnd = new Random(9);
        int[] tokens = rnd.ints(12, 0, VOCAB).toArray(), targets = rnd.ints(12, 0, VOCAB).toArray();
        boolean[] all = new boolean[12];
        Arrays.fill(all, true);
        int[] segments = {4, 4, 4, 4, 4, 9, 9, 9, 9, 9, 9, 9};
        Batch packed = new Batch(1, 12, tokens, targets, all, segments);
        // the same two documents, each alone, padded to 7 positions with a masked-out tail segment
        int[] sepTokens = new int[14], sepTargets = new int[14], sepSegments = new int[14];
        boolean[] sepMask = new boolean[14];
        for (int i = 0; i < 5; i++) {
            sepTokens[i] = tokens[i];
            sepTargets[i] = targets[i];
            sepMask[i] = true;
        }
        Arrays.fill(sepSegments, 5, 7, 1);
        for (int i = 0; i < 7; i++) {
            sepTokens[7 + i] = tokens[5 + i];
            sepTargets[7 + i] = targets[5 + i];
            sepMask[7 + i] = true;
        }
        Batch separate = new Batch(2, 7, sepTokens, sepTargets, sepMask, sepSegments);
        TrainableModel a = Models.lively(c, 6, false), b = Models.lively(c, 6, false);
        ExitLosses la = new TrainingPass(a, false).forwardBackward(packed, objective, 1f);
        ExitLosses lb = new TrainingPass(b, false).forwardBackward(separate, objective, 1f);
        for (int i = 0; i < 2; i++) assertEquals(la.perExit()[i], lb.perExit()[i], 1e-6, "loss at exit " + (i + 1));
        for (int i = 0; i < a.params().size(); i++) {
            Close.assertClose("gradient of " + a.params().get(i).name(), b.params().get(i).grad(), a.params().get(i).grad(), 1e-5);
        }
    }
}

package sortedllama.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import sortedllama.model.LlamaConfig;
import sortedllama.model.RopeLayout;

/**
 * The fused exit heads ({@link ExitCrossEntropy}): the exits' normed rows stacked and sent through
 * the head in chunks of logits rows. With chunks of a few rows, so that chunks end inside an
 * exit's rows and carry on into the next exit's, and a logits budget that is no multiple of the
 * vocabulary (the rows per chunk are rounded down): the PyTorch fixtures' losses and gradients at
 * {@link TorchReferenceTest}'s tolerances; the losses of the unfused reference (each exit's full
 * logits [tokens, vocab], then cross-entropy in float64 here); and, on a model whose vocabulary
 * (37) and token count (2 x 11) share no factor with the chunk, with one exit having its own
 * head (two groups of stacked rows), the gradients of the same pass with every exit's rows in one
 * chunk within 1e-6 of each tensor's largest magnitude (the products' summation order differs).
 */
class FusedExitHeadsTest {

    @ParameterizedTest
    @CsvSource({"untied_interleaved, 1", "untied_interleaved, 5", "tied_halfsplit_packed, 3", "tied_halfsplit_packed, 7"})
    void smallChunksMatchThePyTorchFixtures(String name, int chunkRows) {
        TorchFixture f = TorchFixture.load(name);
        TrainableModel model = f.model();
        ExitObjective objective = f.objective();
        Batch batch = f.batch("batch1", -1);
        int vocab = model.config.vocabSize();
        TrainingPass pass = new TrainingPass(model, false, Precision.F32, chunkRows * vocab + vocab / 2);

        model.zeroGrads();
        ExitLosses losses = pass.forwardBackward(batch, objective, 1f);
        assertEquals(f.scalar("loss"), losses.loss(), TorchReferenceTest.LOSS_TOL * f.scalar("loss"), "loss");
        for (int i = 0; i < objective.exits().length; i++) {
            double expected = f.scalar("per_exit_losses." + i);
            assertEquals(expected, losses.perExit()[i], TorchReferenceTest.LOSS_TOL * expected, "loss at exit " + objective.exits()[i]);
        }
        for (Param p : model.params()) {
            Close.assertClose("gradient of " + p.name(), f.f32("grad/" + p.name()), p.grad(), TorchReferenceTest.GRAD_TOL);
        }
        double[] unfused = unfusedLosses(pass, batch, objective);
        for (int i = 0; i < unfused.length; i++) {
            assertEquals(unfused[i], losses.perExit()[i], 1e-6 * unfused[i], "unfused loss at exit " + objective.exits()[i]);
        }
    }

    @ParameterizedTest
    @CsvSource({"1", "4", "9"})
    void chunksThatSplitRowsUnevenlyGiveTheOneChunkGradients(int chunkRows) {
        LlamaConfig c = Models.tiny(4, 37, RopeLayout.INTERLEAVED);
        ExitObjective objective = new ExitObjective(new int[] {1, 2, 4}, new double[] {1, 2, 3});
        Batch batch = Runs.randomBatch(5, 2, 11, c.vocabSize());
        batch.lossMask()[3] = false; // a position without a target: no gradient from its row

        List<float[]> oneChunk = gradients(c, objective, batch, Integer.MAX_VALUE);
        List<float[]> chunked = gradients(c, objective, batch, chunkRows * c.vocabSize() + 1);
        TrainableModel names = model(c);
        for (int i = 0; i < oneChunk.size(); i++) {
            Close.assertClose("gradient of " + names.params().get(i).name() + " in chunks of " + chunkRows + " rows",
                    oneChunk.get(i), chunked.get(i), 1e-6);
        }
    }

    /** Every parameter's gradient of one pass, with exit 2 on a head of its own (SFT+ICT) beside the shared one. */
    private static List<float[]> gradients(LlamaConfig c, ExitObjective objective, Batch batch, int chunkFloats) {
        TrainableModel m = model(c);
        TrainingPass pass = new TrainingPass(m, false, Precision.F32, chunkFloats);
        m.zeroGrads();
        ExitLosses losses = pass.forwardBackward(batch, objective, 1f);
        double[] unfused = unfusedLosses(pass, batch, objective);
        for (int i = 0; i < unfused.length; i++) assertEquals(unfused[i], losses.perExit()[i], 1e-6 * unfused[i], "loss at exit " + i);
        List<float[]> grads = new ArrayList<>();
        for (Param p : m.params()) grads.add(p.grad().clone());
        return grads;
    }

    private static TrainableModel model(LlamaConfig c) {
        TrainableModel m = Models.lively(c, 11, false);
        m.addExitHeads(new int[] {2});
        // an own head that differs from the shared one, so that mixing up the groups shows
        for (int i = 0; i < m.exitHead(2).output().size(); i += 3) m.exitHead(2).output().value()[i] *= -1;
        return m;
    }

    /** Each exit's mean cross-entropy from its full logits, in float64: the reference without chunks or stacking. */
    private static double[] unfusedLosses(TrainingPass pass, Batch batch, ExitObjective objective) {
        int[] exits = objective.exits();
        double[] out = new double[exits.length];
        for (int i = 0; i < exits.length; i++) {
            float[] logits = pass.logits(batch, exits[i]);
            int vocab = logits.length / batch.positions();
            double sum = 0;
            for (int t = 0; t < batch.positions(); t++) {
                if (!batch.lossMask()[t]) continue;
                double max = Double.NEGATIVE_INFINITY, z = 0;
                for (int v = 0; v < vocab; v++) max = Math.max(max, logits[t * vocab + v]);
                for (int v = 0; v < vocab; v++) z += Math.exp(logits[t * vocab + v] - max);
                sum += max + Math.log(z) - logits[t * vocab + batch.targets()[t]];
            }
            out[i] = sum / batch.countedTargets();
        }
        return out;
    }
}

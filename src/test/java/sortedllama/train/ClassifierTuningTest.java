package sortedllama.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import sortedllama.BadInputException;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaModel;
import sortedllama.model.LlamaWeights;
import sortedllama.model.RopeLayout;
import sortedllama.model.TensorNames;

/**
 * SFT+ICT: the backbone stays bit-identical, each exit's own head gets the gradient of its own
 * loss (finite differences), the exits' losses fall, and the inference engine applies each
 * exit's own head at that exit.
 */
class ClassifierTuningTest {
    static final int LAYERS = 4, VOCAB = 24;

    private static TrainableModel model(boolean tied) {
        return Models.lively(Models.tiny(LAYERS, VOCAB, RopeLayout.INTERLEAVED), 7, tied);
    }

    @Test
    void perExitHeadsTrainAndTheBackboneStaysBitIdentical() {
        TrainableModel m = model(true);
        float[][] backbone = Runs.snapshot(m); // before the heads exist: exactly the backbone
        int backboneParams = m.params().size();
        ExitObjective objective = ClassifierTuning.prepare(m, ExitSet.parse("every:2", LAYERS), false);
        assertArrayEquals(new int[] {2}, objective.exits(), "exit 4 is the last layer: it keeps the SFT head");
        assertEquals(Set.of(2), m.exitHeadLayers());
        assertNotSame(m.output().value(), m.exitHead(2).output().value(), "an own head is a copy, not the tied embedding");

        Batch batch = Runs.randomBatch(3, 2, 12, VOCAB);
        Trainer trainer = new Trainer(m, objective, Runs.settings(3e-2, false));
        double first = trainer.step(List.of(batch)).loss(), last = first;
        for (int s = 0; s < 15; s++) last = trainer.step(List.of(batch)).loss();
        assertTrue(last < first * 0.9, "exit 2's loss should fall: " + first + " -> " + last);

        List<Param> params = m.params();
        for (int i = 0; i < backboneParams; i++) assertArrayEquals(backbone[i], params.get(i).value(), params.get(i).name() + " is frozen");
        assertFalse(Arrays.equals(m.output().value(), m.exitHead(2).output().value()), "exit 2's head should have trained");
    }

    @Test
    void ownHeadGradientsMatchFiniteDifferences() {
        TrainableModel m = model(false);
        ExitObjective objective = ClassifierTuning.prepare(m, ExitSet.parse("1,3,4", LAYERS), false);
        Batch batch = Runs.randomBatch(4, 2, 9, VOCAB);
        TrainingPass pass = new TrainingPass(m, false);
        m.zeroGrads();
        pass.forwardBackward(batch, objective, 1f);
        Random rnd = new Random(1);
        for (int k : new int[] {1, 3}) {
            for (Param p : List.of(m.exitHead(k).norm(), m.exitHead(k).output())) {
                FiniteDifferences.check(p.name(), p.value(), p.grad().clone(), rnd.ints(6, 0, p.size()).toArray(), 1e-2,
                        ModelGradientTest.TOL, () -> pass.evaluate(batch, objective).loss());
            }
        }
        for (Param p : m.layers[0].params()) assertArrayEquals(new float[p.size()], p.grad(), p.name() + " gets no gradient");
        assertArrayEquals(new float[m.output().size()], m.output().grad(), "the shared head gets no gradient");
    }

    @Test
    void sharedHeadUntiesFromTheFrozenEmbedding() {
        TrainableModel m = model(true);
        float[] embedding = m.embedding.value().clone();
        ExitObjective objective = ClassifierTuning.prepare(m, ExitSet.parse("2,4", LAYERS), true);
        assertArrayEquals(new int[] {2, 4}, objective.exits());
        assertFalse(m.tied());
        assertTrue(m.output().trainable() && m.finalNorm.trainable() && !m.embedding.trainable());
        Trainer trainer = new Trainer(m, objective, Runs.settings(1e-2, false));
        for (int s = 0; s < 3; s++) trainer.step(List.of(Runs.randomBatch(5, 2, 10, VOCAB)));
        assertArrayEquals(embedding, m.embedding.value(), "the embedding is part of the backbone");
        assertFalse(Arrays.equals(embedding, m.output().value()), "the untied head trained");
        assertTrue(m.exitHeadLayers().isEmpty());
    }

    @Test
    void onlyTheLastExitIsRefused() {
        BadInputException e = assertThrows(BadInputException.class,
                () -> ClassifierTuning.prepare(model(false), ExitSet.parse("4", LAYERS), false));
        assertTrue(e.getMessage().contains("below the last layer"), e.getMessage());
    }

    @Test
    void theInferenceEngineUsesEachExitsOwnHead() {
        TrainableModel m = model(false);
        ClassifierTuning.prepare(m, ExitSet.parse("1,2,4", LAYERS), false);
        // make the own heads differ from the shared one, as training would
        Random rnd = new Random(9);
        for (int k : new int[] {1, 2}) {
            float[] h = m.exitHead(k).output().value();
            for (int i = 0; i < h.length; i++) h[i] += (float) (0.3 * rnd.nextGaussian());
            m.exitHead(k).norm().value()[0] = 2f;
        }
        LlamaWeights w = m.toWeights(Arena.ofAuto());
        assertEquals(Set.of(1, 2), w.exitHeads.keySet());
        assertTrue(w.matrices().containsKey(TensorNames.exitOutput(2)) && w.norms().containsKey(TensorNames.exitNorm(1)));
        int[] tokens = new Random(3).ints(8, 0, VOCAB).toArray();
        Batch batch = Batch.of(1, 8, tokens, new int[8]);
        TrainingPass pass = new TrainingPass(m, false);
        for (int exit = 1; exit <= LAYERS; exit++) {
            LlamaModel inference = new LlamaModel(w);
            float[] logits = inference.forward(inference.newCache(8), tokens, exit, true);
            Close.assertClose("logits at exit " + exit, logits, pass.logits(batch, exit), 1e-5);
        }
        // and the values survive a trip through TrainableModel.fromWeights
        TrainableModel back = TrainableModel.fromWeights(w);
        assertEquals(Set.of(1, 2), back.exitHeadLayers());
        assertArrayEquals(m.exitHead(2).output().value(), back.exitHead(2).output().value());
    }
}

package sortedllama.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaModel;
import sortedllama.model.LlamaWeights;
import sortedllama.model.TestModels;
import sortedllama.tensor.DType;
import sortedllama.tensor.Dequantize;

/**
 * TrainableModel to and from the inference engine's weights, and the training forward against
 * the inference forward (LlamaModel, verified against llama2.c), which also ties the PyTorch
 * reference of the fixtures to the inference engine. Tolerance 1e-5 of the largest logit: two
 * float32 code paths that sum in different orders.
 */
class InferenceRoundTripTest {

    /** Logits of every position of sequence {@code row} at every exit, by the inference engine. */
    private static float[] inferenceLogits(LlamaWeights w, int[] tokens, int exit) {
        return new LlamaModel(w).forward(new LlamaModel(w).newCache(tokens.length), tokens, exit, true);
    }

    @Test
    void quantizedWeightsDecodeToFloat32AndBack() {
        LlamaConfig c = TestModels.tinyConfig(3, 40, 32);
        LlamaWeights q8 = TestModels.random(c, 1, 2f).weights().convertMatrices(DType.Q8_0, Arena.ofAuto());
        TrainableModel m = TrainableModel.fromWeights(q8);
        assertArrayEquals(Dequantize.all(q8.layers[1].wk()), m.layers[1].wk().value());
        assertArrayEquals(Dequantize.all(q8.output), m.output().value());
        assertArrayEquals(q8.finalNorm, m.finalNorm.value());

        LlamaWeights back = m.toWeights(Arena.ofAuto());
        int[] tokens = new Random(2).ints(10, 0, 40).toArray();
        Batch batch = Batch.of(1, 10, tokens, new int[10]);
        TrainingPass pass = new TrainingPass(m, false);
        for (int exit = 1; exit <= 3; exit++) {
            Close.assertClose("logits at exit " + exit, inferenceLogits(back, tokens, exit), pass.logits(batch, exit), 1e-5);
        }
    }

    @Test
    void pytorchReferenceAgreesWithTheInferenceEngine() {
        TorchFixture f = TorchFixture.load("untied_interleaved"); // one segment per sequence: plain causal
        LlamaWeights w = f.model().toWeights(Arena.ofAuto());
        int[] tokens = f.i32("batch1/tokens");
        int T = tokens.length / 2, vocab = f.config().vocabSize();
        for (int exit : f.objective().exits()) {
            float[] expected = f.f32("logits/" + exit);
            for (int b = 0; b < 2; b++) {
                float[] mine = inferenceLogits(w, Arrays.copyOfRange(tokens, b * T, (b + 1) * T), exit);
                Close.assertClose("inference logits, exit " + exit + ", sequence " + b,
                        Arrays.copyOfRange(expected, b * T * vocab, (b + 1) * T * vocab), mine, 1e-5);
            }
        }
    }
}

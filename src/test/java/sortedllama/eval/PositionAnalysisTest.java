package sortedllama.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import sortedllama.BadInputException;
import sortedllama.infer.Generator;
import sortedllama.infer.Sampler;
import sortedllama.model.LlamaModel;
import sortedllama.model.TestModels;

class PositionAnalysisTest {
    private static final int VOCAB = 40, POSITIONS = 5;
    private final LlamaModel a = TestModels.random(TestModels.tinyConfig(3, VOCAB, 32), 3, 3f);
    private final LlamaModel b = TestModels.random(TestModels.tinyConfig(3, VOCAB, 32), 4, 3f);
    private final List<int[]> prompts = List.of(new int[] {1, 7, 9}, new int[] {1, 20, 3, 33, 5, 6});

    @Test
    void theReferencesOwnLastLayerIsAtZeroDistance() {
        var grid = PositionAnalysis.of(a, a, prompts, POSITIONS);
        assertEquals(2, grid.prompts());
        for (int p = 0; p < POSITIONS; p++) {
            assertEquals(0, grid.kl()[2][p], 1e-9);
            assertEquals(1, grid.cosine()[2][p], 1e-6);
            assertTrue(grid.kl()[0][p] > 1e-4, "layer 1 differs from layer 3 at position " + p);
        }
    }

    @Test
    void eachCellIsTheMeanOverPromptsOfAForwardPassPerLayer() {
        var grid = PositionAnalysis.of(a, b, prompts, POSITIONS);
        double[][] kl = new double[3][POSITIONS], cos = new double[3][POSITIONS];
        for (int[] prompt : prompts) {
            int[] gen = new Generator(a).generate(prompt, POSITIONS, 3, Sampler.greedy(), -1, null).tokens();
            int[] inputs = Arrays.copyOf(prompt, prompt.length + POSITIONS - 1);
            System.arraycopy(gen, 0, inputs, prompt.length, POSITIONS - 1);
            int T = inputs.length, first = prompt.length - 1;
            float[] refLogProbs = ExitScorer.logProbs(a.forward(a.newCache(T), inputs, 3, true), T, VOCAB);
            float[] refState = states(a, inputs, 3);
            for (int layer = 1; layer <= 3; layer++) {
                // a fresh pass to this layer alone, unlike the analysis's single climb through the layers
                float[] logProbs = ExitScorer.logProbs(b.forward(b.newCache(T), inputs, layer, true), T, VOCAB);
                float[] state = states(b, inputs, layer);
                for (int p = 0; p < POSITIONS; p++) {
                    kl[layer - 1][p] += ExitScorer.klDivergence(refLogProbs, logProbs, (first + p) * VOCAB, VOCAB) / prompts.size();
                    int dim = b.config().dim(), at = (first + p) * dim;
                    cos[layer - 1][p] += ExitScorer.cosine(Arrays.copyOfRange(refState, at, at + dim), Arrays.copyOfRange(state, at, at + dim), 0, dim)
                            / prompts.size();
                }
            }
        }
        for (int l = 0; l < 3; l++) {
            assertArrayEquals(kl[l], grid.kl()[l], 1e-5, "KL, layer " + (l + 1));
            assertArrayEquals(cos[l], grid.cosine()[l], 1e-5, "cosine, layer " + (l + 1));
        }
        assertEquals(Arrays.stream(grid.kl()[1]).average().orElseThrow(), grid.meanKl(2), 1e-12);
    }

    @Test
    void promptsWithoutRoomAreSkippedAndNoneLeftIsAnError() {
        int[] tooLong = new int[30];
        Arrays.fill(tooLong, 5);
        var grid = PositionAnalysis.of(a, a, List.of(prompts.get(0), tooLong), POSITIONS);
        assertEquals(1, grid.prompts());
        assertEquals(1, grid.skipped());
        assertThrows(BadInputException.class, () -> PositionAnalysis.of(a, a, List.of(tooLong), POSITIONS));
        var narrow = TestModels.random(TestModels.tinyConfig(3, VOCAB + 1, 32), 3, 3f);
        assertThrows(BadInputException.class, () -> PositionAnalysis.of(a, narrow, prompts, POSITIONS));
    }

    private static float[] states(LlamaModel m, int[] inputs, int layer) {
        float[] x = m.embed(inputs);
        m.runLayers(m.newCache(inputs.length), x, inputs.length, 0, 0, layer);
        return x;
    }
}

package sortedllama.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.TreeMap;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaModel;
import sortedllama.model.TestModels;
import sortedllama.tensor.DType;
import sortedllama.tensor.Quantize;

/**
 * Speculative decoding and early exit keep their exactness on every weight type we can write: greedy
 * speculative output is full-depth greedy output for every draft exit, and with recomputed keys and
 * values each early-exited token is its exit's argmax on a fresh pass over its prefix. The model is
 * 256 wide so that the 256-value K types apply to every matrix.
 */
class QuantizedDynamicInferenceTest {
    static final int[] PROMPT = {1, 5, 9};

    static LlamaModel model(DType type) {
        Assumptions.assumeTrue(Quantize.canEncode(type), type + " is read, not written (MatmulTest covers its kernels)");
        LlamaConfig c = TestModels.wideConfig(4, 64, 96);
        return new LlamaModel(TestModels.random(c, 7, 6f).weights().convertMatrices(type, Arena.ofAuto()));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16"}, mode = EnumSource.Mode.EXCLUDE)
    void speculativeGreedyEqualsFullDepth(DType type) {
        LlamaModel model = model(type);
        int[] full = new Generator(model).generate(PROMPT, 40, 4, Sampler.greedy(), -1, null).tokens();
        for (int exit = 1; exit <= 3; exit++) {
            for (int g : new int[] {2, 5}) {
                var result = new SpeculativeGenerator(model, exit, g, false, false, new SpeculationMemory()).generate(PROMPT, 40, Sampler.greedy(), -1, null);
                assertArrayEquals(full, result.tokens(), type + ": draft exit " + exit + ", G " + g);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16"}, mode = EnumSource.Mode.EXCLUDE)
    void earlyExitWithRecomputedKeysAndValuesIsExact(DType type) {
        LlamaModel model = model(type);
        var thresholds = new TreeMap<Integer, Float>();
        thresholds.put(1, 0.6f);
        thresholds.put(2, 0.5f);
        thresholds.put(3, 0.4f);
        var result = new AdaptiveGenerator(model, new ExitPolicy(thresholds), AdaptiveGenerator.KvFill.RECOMPUTE)
                .generate(PROMPT, 40, Sampler.greedy(), -1, null);
        int[] tokens = result.tokens(), depths = result.depths();
        assertTrue(Arrays.stream(depths).distinct().count() >= 2, type + ": thresholds should mix exits: " + Arrays.toString(depths));
        for (int i = 0; i < tokens.length; i++) {
            int[] prefix = Arrays.copyOf(PROMPT, PROMPT.length + i);
            System.arraycopy(tokens, 0, prefix, PROMPT.length, i);
            float[] logits = model.forward(model.newCache(prefix.length), prefix, depths[i], false);
            assertEquals(Sampler.argmax(logits, 0, model.config().vocabSize()), tokens[i], type + ": token " + i + " at depth " + depths[i]);
        }
    }
}

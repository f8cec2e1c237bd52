package sortedllama.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.util.Arrays;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import sortedllama.infer.Sampler;
import sortedllama.tensor.DType;
import sortedllama.tensor.Matmul;
import sortedllama.tensor.Quantize;

/**
 * A position's logits do not depend on how many positions go through the layers with it (below
 * sgemm's range): what makes speculative verification and early exit's catch-up exact, bit for bit.
 */
class BatchInvarianceTest {

    @ParameterizedTest(name = "{0}")
    @EnumSource(DType.class)
    void positionsFedTogetherGetTheLogitsTheyGetOneByOne(DType type) {
        // 256-value blocks need rows of 256: the same tiny model, wider
        LlamaConfig c = type.blockSize < 256 ? TestModels.tinyConfig(3, 61, 64)
                : TestModels.wideConfig(3, 61, 64);
        // types we read but do not write: MatmulTest.fewVectorsGiveEachTheBitsItGetsAlone checks their kernels
        Assumptions.assumeTrue(Quantize.canEncode(type), type + " is read, not written");
        LlamaModel model = new LlamaModel(TestModels.random(c, 5, 4f).weights().convertMatrices(type, Arena.ofAuto()));
        int[] prompt = {1, 7, 19, 3, 44};
        int[] next = new int[Matmul.BLAS_MIN_TOKENS - 1];
        for (int i = 0; i < next.length; i++) next[i] = (i * 13 + 5) % c.vocabSize();
        int vocab = c.vocabSize();
        for (int exit : new int[] {1, 3}) {
            KVCache oneByOne = model.newCache(64), together = model.newCache(64);
            model.forward(oneByOne, prompt, exit, false);
            model.forward(together, prompt, exit, false);
            float[] batched = model.forward(together, next, exit, true);
            for (int t = 0; t < next.length; t++) {
                float[] alone = model.forward(oneByOne, new int[] {next[t]}, exit, false);
                assertArrayEquals(alone, Arrays.copyOfRange(batched, t * vocab, (t + 1) * vocab), "exit " + exit + ", position " + t);
            }
        }
    }

    /**
     * A decoding step of many sequences at mixed exits (more of them than sgemm's threshold) gives each
     * the logits it gets decoded alone, step after step, and fills each cache only to its own exit;
     * with its cache in any of the types a cache takes.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"F32", "Q8_0", "Q4_0"})
    void sequencesDecodedTogetherAtMixedExitsGetTheLogitsTheyGetAlone(DType type) {
        LlamaConfig c = TestModels.tinyConfig(3, 61, 64);
        decodeTogetherAndAlone(c, new LlamaModel(TestModels.random(c, 5, 4f).weights().convertMatrices(type, Arena.ofAuto())));
        // a BF16 cache packs rows of 32 values: the same model, heads 64 wide
        LlamaConfig wide = TestModels.wideConfig(3, 61, 64);
        var weights = new LlamaModel(TestModels.random(wide, 5, 4f).weights().convertMatrices(type, Arena.ofAuto()));
        decodeTogetherAndAlone(wide, weights.withKvCache(DType.BF16));
    }

    private static void decodeTogetherAndAlone(LlamaConfig c, LlamaModel model) {
        int n = Matmul.BLAS_MIN_TOKENS + 2;
        KVCache[] alone = new KVCache[n], together = new KVCache[n];
        int[] exits = new int[n], tokens = new int[n];
        for (int i = 0; i < n; i++) {
            exits[i] = 1 + (i * 7) % 3;
            int[] prompt = new int[1 + i % 5];
            for (int t = 0; t < prompt.length; t++) prompt[t] = (i * 11 + t * 3 + 1) % c.vocabSize();
            alone[i] = model.newCache(64);
            together[i] = model.newCache(64);
            model.forward(alone[i], prompt, exits[i], false);
            model.forward(together[i], prompt, exits[i], false);
            tokens[i] = (i * 5 + 2) % c.vocabSize();
        }
        for (int step = 0; step < 3; step++) {
            float[][] batched = model.decodeStep(together, tokens, exits);
            for (int i = 0; i < n; i++) {
                float[] solo = model.forward(alone[i], new int[] {tokens[i]}, exits[i], false);
                assertArrayEquals(solo, batched[i], model.kvCacheType() + " cache, sequence " + i + " (exit " + exits[i] + "), step " + step);
                assertEquals(alone[i].toString(), together[i].toString());
                tokens[i] = Sampler.argmax(solo, 0, solo.length);
            }
        }
    }

    /** A copied prefix serves as the prefill it copies: the next positions get the same logits, bit for bit. */
    @Test
    void aCopiedPrefixDecodesAsTheOriginal() {
        LlamaConfig c = TestModels.tinyConfig(3, 61, 64);
        LlamaModel model = TestModels.random(c, 5, 4f);
        KVCache original = model.newCache(64), copy = model.newCache(40);
        model.forward(original, new int[] {1, 7, 19, 3, 44}, 2, false);
        copy.copyPrefix(original, 5);
        assertEquals(original.length(), copy.length());
        for (int l = 0; l < c.nLayers(); l++) assertEquals(original.filled(l), copy.filled(l), "layer " + (l + 1));
        for (int t : new int[] {5, 9, 12}) {
            assertArrayEquals(model.forward(original, new int[] {t}, 2, false), model.forward(copy, new int[] {t}, 2, false));
        }
    }
}

package sortedllama.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.lang.foreign.Arena;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import sortedllama.tensor.DType;
import sortedllama.tensor.Matmul;

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
        org.junit.jupiter.api.Assumptions.assumeTrue(sortedllama.tensor.Quantize.canEncode(type), type + " is read, not written");
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
}

package sortedllama.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TokenLogprobsTest {

    @Test
    void logSoftmaxOfTheTokenAndTheBestAlternativesInOrder() {
        float[] logits = {1f, 3f, -2f, 3f, 0.5f, 2f};
        var lp = TokenLogprobs.of(logits, 4, 3);
        double z = 0;
        for (float v : logits) z += Math.exp(v);
        assertEquals(Math.log(Math.exp(0.5) / z), lp.logprob(), 1e-6);
        assertArrayEquals(new int[] {1, 3, 5}, lp.topIds(), "most probable first, ties to the lower id");
        for (int k = 0; k < 3; k++) assertEquals(Math.log(Math.exp(logits[lp.topIds()[k]]) / z), lp.topLogprobs()[k], 1e-6);
        assertEquals(0, TokenLogprobs.of(logits, 0, 0).topIds().length);
        assertEquals(logits.length, TokenLogprobs.of(logits, 0, 20).topIds().length);
    }
}

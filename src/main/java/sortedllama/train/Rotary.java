package sortedllama.train;

import sortedllama.model.LlamaConfig;
import sortedllama.model.Rope;
import sortedllama.tensor.Parallel;

/**
 * Rotary position embeddings over a batch, with {@link Rope}'s pairing and frequencies. The
 * forward rotates each pair of a head by its position's angle; a rotation's transpose is the
 * rotation by minus that angle, so the backward applies the same code with the sines negated.
 */
final class Rotary {
    private final Rope rope;
    private final int headDim;
    /** [pos * headDim ..]: cos of every pair, then sin; {@code inverse} has the sines negated. */
    private final float[] forward, inverse;

    Rotary(LlamaConfig c, float[] freqDivisors, int maxPositions) {
        this.rope = new Rope(c, freqDivisors);
        this.headDim = c.headDim();
        int half = headDim / 2;
        forward = new float[maxPositions * headDim];
        inverse = new float[maxPositions * headDim];
        for (int pos = 0; pos < maxPositions; pos++) {
            int off = pos * headDim;
            rope.angles(pos, forward, off);
            for (int i = 0; i < half; i++) {
                inverse[off + i] = forward[off + i];
                inverse[off + half + i] = -forward[off + half + i];
            }
        }
    }

    /** Rotates {@code heads} heads per token of x ([tokens, heads * headDim]) by the tokens' positions. */
    void forward(float[] x, int heads, int[] positions) {
        rotate(x, heads, positions, forward);
    }

    /** dx = R^T · dy in place: the gradient of {@link #forward}. */
    void backward(float[] dx, int heads, int[] positions) {
        rotate(dx, heads, positions, inverse);
    }

    private void rotate(float[] x, int heads, int[] positions, float[] table) {
        int width = heads * headDim;
        Parallel.forRange(positions.length, 64, (from, to) -> {
            for (int t = from; t < to; t++) rope.rotate(x, t * width, heads, table, positions[t] * headDim);
        });
    }
}

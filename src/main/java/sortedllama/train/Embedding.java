package sortedllama.train;

import sortedllama.tensor.Parallel;
import sortedllama.tensor.Vec;

/** Token embedding: each position's vector is its token's row of the table. */
final class Embedding {
    private Embedding() {}

    /** out[t] = table[tokens[t]]. */
    static void forward(float[] out, float[] table, int[] tokens, int dim) {
        Parallel.forRange(tokens.length, 256, (from, to) -> {
            for (int t = from; t < to; t++) System.arraycopy(table, tokens[t] * dim, out, t * dim, dim);
        });
    }

    /**
     * dTable[tokens[t]] += dOut[t]. Serial in t: positions holding the same token add into the
     * same row, and a fixed order keeps the sum reproducible (this is a small share of a step).
     */
    static void backward(float[] dTable, float[] dOut, int[] tokens, int dim) {
        for (int t = 0; t < tokens.length; t++) Vec.axpy(1f, dOut, t * dim, dTable, tokens[t] * dim, dim);
    }
}

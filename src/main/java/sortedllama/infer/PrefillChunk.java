package sortedllama.infer;

import java.util.Arrays;
import sortedllama.model.KVCache;
import sortedllama.model.LlamaModel;
import sortedllama.model.StepSequence;

/**
 * A chunk of a generation's prompt fed in the batched pass beside the decoding generations
 * ({@link LlamaModel#step}), on a model whose keys and values do not depend on how positions are
 * split into passes ({@link LlamaModel#splitInvariant}): its positions run through layers
 * 1..prefillExit with the others', so the weights are read once for both, and it leaves there with
 * its last position's logits, the first token's when the chunk ends the prompt (else unused).
 */
final class PrefillChunk implements StepSequence {
    final BatchedGeneration generation;
    private final int from, end;
    private final float[] states; // [n, dim]
    float[] logits;

    /** The next {@code n} prompt positions of {@code g} (from its cache's length on). */
    PrefillChunk(LlamaModel model, BatchedGeneration g, int n) {
        this.generation = g;
        this.from = g.cache.length();
        this.end = from + n;
        this.states = model.embed(Arrays.copyOfRange(g.prompt, from, end));
    }

    @Override
    public KVCache cache() {
        return generation.cache;
    }

    @Override
    public int end() {
        return end;
    }

    @Override
    public float[] states() {
        return states;
    }

    @Override
    public int statesFrom() {
        return from;
    }

    @Override
    public int logitsAt(int exit) {
        return exit == generation.prefillExit ? 1 : 0; // also for a chunk within the prompt: the pass leaves only with logits
    }

    @Override
    public boolean exitWith(int exit, float[] logits) {
        this.logits = logits;
        return true;
    }
}

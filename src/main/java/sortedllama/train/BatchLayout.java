package sortedllama.train;

import sortedllama.model.LlamaConfig;

/**
 * The shapes one pass works with: the model config, B sequences of T tokens, and for each
 * position the start of its segment (the first position it may attend to) and its rotary position.
 */
record BatchLayout(LlamaConfig config, int batchSize, int seqLen, int[] segmentStarts, int[] positions, Rotary rotary) {

    static BatchLayout of(Batch batch, LlamaConfig c, Rotary rotary) {
        int[] starts = batch.segmentStarts();
        int[] positions = new int[starts.length];
        for (int i = 0; i < starts.length; i++) positions[i] = i % batch.seqLen() - starts[i];
        return new BatchLayout(c, batch.batchSize(), batch.seqLen(), starts, positions, rotary);
    }

    int tokens() {
        return batchSize * seqLen;
    }
}

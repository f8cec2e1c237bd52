package sortedllama;

import java.lang.foreign.MemorySegment;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaWeights;
import sortedllama.model.RopeLayout;
import sortedllama.model.TensorNames;
import sortedllama.tensor.DType;
import sortedllama.tensor.Tensor;

/** Models built in memory for tests where only the shape matters. */
public final class TestModels {
    private TestModels() {}

    /** The smallest model with {@code vocab} tokens: one layer of width 8, zero weights, tied head, BOS 1, EOS 2. */
    public static LlamaWeights withVocabulary(int vocab) {
        int dim = 8;
        var config = new LlamaConfig(dim, dim, 1, 2, 2, dim / 2, vocab, 64, 1e-5f, 10000f, null, RopeLayout.INTERLEAVED, 1, 2);
        var layer = new LlamaWeights.Layer(new float[dim], zeros("wq", dim, dim), zeros("wk", dim, dim), zeros("wv", dim, dim),
                zeros("wo", dim, dim), new float[dim], zeros("gate", dim, dim), zeros("up", dim, dim), zeros("down", dim, dim));
        Tensor embedding = zeros(TensorNames.TOKEN_EMBEDDING, vocab, dim);
        return new LlamaWeights(config, embedding, new LlamaWeights.Layer[] {layer}, new float[dim], embedding);
    }

    private static Tensor zeros(String name, int rows, int cols) {
        return new Tensor(name, DType.F32, new long[] {rows, cols}, MemorySegment.ofArray(new float[rows * cols]));
    }
}

package sortedllama;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaWeights;
import sortedllama.model.RopeLayout;
import sortedllama.model.TensorNames;
import sortedllama.tensor.DType;
import sortedllama.tensor.Tensor;

/** Models built in memory for tests where only the shape matters. */
public final class TestModels {
    private TestModels() {}

    /** The smallest model with {@code vocab} tokens: one layer of width 8, zero weights, tied head, BOS 1, EOS 2, context 64. */
    public static LlamaWeights withVocabulary(int vocab) {
        return zeroWeights(vocab, 1, 64);
    }

    /** A model of width 8 with zero weights (every token equally likely), the given vocabulary, depth and context. */
    public static LlamaWeights zeroWeights(int vocab, int layers, int context) {
        int dim = 8;
        var config = new LlamaConfig(dim, dim, layers, 2, 2, dim / 2, vocab, context, 1e-5f, 10000f, null, RopeLayout.INTERLEAVED, 1, 2);
        var layer = new LlamaWeights.Layer(new float[dim], zeros("wq", dim, dim), zeros("wk", dim, dim), zeros("wv", dim, dim),
                zeros("wo", dim, dim), new float[dim], zeros("gate", dim, dim), zeros("up", dim, dim), zeros("down", dim, dim));
        var stack = new LlamaWeights.Layer[layers];
        Arrays.fill(stack, layer);
        Tensor embedding = zeros(TensorNames.TOKEN_EMBEDDING, vocab, dim);
        return new LlamaWeights(config, embedding, stack, new float[dim], embedding);
    }

    private static Tensor zeros(String name, int rows, int cols) {
        return new Tensor(name, DType.F32, new long[] {rows, cols}, MemorySegment.ofArray(new float[rows * cols]));
    }
}

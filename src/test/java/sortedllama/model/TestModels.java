package sortedllama.model;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import sortedllama.io.ModelFile;
import sortedllama.tensor.DType;
import sortedllama.tensor.Quantize;
import sortedllama.tensor.Tensor;

/** Small seeded random models built in memory, for tests that need a model but no file. */
public final class TestModels {
    private TestModels() {}

    /** A config with GQA (4 query heads, 2 KV heads). */
    public static LlamaConfig tinyConfig(int layers, int vocab, int context) {
        return new LlamaConfig(32, 64, layers, 4, 2, 8, vocab, context, 1e-5f, 10000f, null, RopeLayout.INTERLEAVED, 1, 2);
    }

    /** As {@link #tinyConfig}, 256 wide (hidden 256, head dim 64): every matrix row holds whole 256-value K-type blocks. */
    public static LlamaConfig wideConfig(int layers, int vocab, int context) {
        return new LlamaConfig(256, 256, layers, 4, 2, 64, vocab, context, 1e-5f, 10000f, null, RopeLayout.INTERLEAVED, 1, 2);
    }

    /**
     * Random weights with an untied head. {@code logitScale} sets how peaked the next-token
     * distributions are (larger = more peaked).
     */
    public static LlamaModel random(LlamaConfig c, long seed, float logitScale) {
        return new LlamaModel(LlamaWeights.fromTensors(c, tensors(c, seed, logitScale, Arena.ofAuto()), "random model (seed " + seed + ")"));
    }

    /**
     * The same random model with its matrices converted to {@code type} and made ready as a loaded
     * file's are (rows repacked for the native kernels, so AMX serves the types it serves).
     */
    public static LlamaModel loaded(LlamaConfig c, long seed, float logitScale, DType type) {
        Arena arena = Arena.ofAuto();
        var file = new ModelFile(Path.of("random-" + seed), "random", c, tensors(c, seed, logitScale, arena), null, Map.of(), arena);
        return file.withMatricesAs(type).model();
    }

    private static Map<String, Tensor> tensors(LlamaConfig c, long seed, float logitScale, Arena arena) {
        Random rnd = new Random(seed);
        Map<String, Tensor> t = new HashMap<>();
        t.put(TensorNames.TOKEN_EMBEDDING, matrix(TensorNames.TOKEN_EMBEDDING, c.vocabSize(), c.dim(), 1f, rnd, arena));
        for (int l = 0; l < c.nLayers(); l++) {
            t.put(TensorNames.attnNorm(l), norm(TensorNames.attnNorm(l), c.dim(), rnd, arena));
            t.put(TensorNames.ffnNorm(l), norm(TensorNames.ffnNorm(l), c.dim(), rnd, arena));
            float s = (float) (1 / Math.sqrt(c.dim()));
            t.put(TensorNames.wq(l), matrix(TensorNames.wq(l), c.qDim(), c.dim(), s, rnd, arena));
            t.put(TensorNames.wk(l), matrix(TensorNames.wk(l), c.kvDim(), c.dim(), s, rnd, arena));
            t.put(TensorNames.wv(l), matrix(TensorNames.wv(l), c.kvDim(), c.dim(), s, rnd, arena));
            t.put(TensorNames.wo(l), matrix(TensorNames.wo(l), c.dim(), c.qDim(), s, rnd, arena));
            t.put(TensorNames.gate(l), matrix(TensorNames.gate(l), c.hiddenDim(), c.dim(), s, rnd, arena));
            t.put(TensorNames.up(l), matrix(TensorNames.up(l), c.hiddenDim(), c.dim(), s, rnd, arena));
            t.put(TensorNames.down(l), matrix(TensorNames.down(l), c.dim(), c.hiddenDim(), (float) (1 / Math.sqrt(c.hiddenDim())), rnd, arena));
        }
        t.put(TensorNames.FINAL_NORM, norm(TensorNames.FINAL_NORM, c.dim(), rnd, arena));
        t.put(TensorNames.OUTPUT, matrix(TensorNames.OUTPUT, c.vocabSize(), c.dim(), logitScale / (float) Math.sqrt(c.dim()), rnd, arena));
        return t;
    }

    private static Tensor matrix(String name, int rows, int cols, float scale, Random rnd, Arena arena) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian() * scale;
        return Quantize.tensor(name, DType.F32, new long[] {rows, cols}, v, arena);
    }

    private static Tensor norm(String name, int size, Random rnd, Arena arena) {
        float[] v = new float[size];
        for (int i = 0; i < size; i++) v[i] = 1f + 0.1f * (float) rnd.nextGaussian();
        return Quantize.tensor(name, DType.F32, new long[] {size}, v, arena);
    }
}

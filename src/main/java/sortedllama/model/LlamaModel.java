package sortedllama.model;

import sortedllama.BadInputException;
import sortedllama.tensor.Dequantize;
import sortedllama.tensor.Matmul;
import sortedllama.tensor.Ops;
import sortedllama.tensor.Parallel;
import sortedllama.tensor.Tensor;
import sortedllama.tensor.Vec;
import sortedllama.tensor.WeightRows;

/**
 * The LLaMA forward pass with an exit: run the first k layers, then the model's own final
 * RMSNorm and its shared head. Any number of new tokens go through in one batched pass
 * (prompt prefill, speculative verification); one token is the decoding step.
 */
public final class LlamaModel {
    private final LlamaConfig c;
    private final LlamaWeights w;
    private final Rope rope;

    public LlamaModel(LlamaWeights weights, float[] ropeFreqDivisors) {
        this.w = weights;
        this.c = weights.config;
        this.rope = new Rope(c, ropeFreqDivisors);
    }

    public LlamaModel(LlamaWeights weights) {
        this(weights, null);
    }

    public LlamaConfig config() {
        return c;
    }

    public LlamaWeights weights() {
        return w;
    }

    public KVCache newCache(int capacity) {
        return new KVCache(c, capacity);
    }

    /**
     * Feeds {@code tokens} at positions cache.length() .. +T-1 through layers 1..exitLayer and
     * returns the logits of the last token ({@code vocab} values), or of every token
     * ({@code T * vocab}, token-major) when {@code allLogits}.
     */
    public float[] forward(KVCache cache, int[] tokens, int exitLayer, boolean allLogits) {
        float[] x = embed(tokens);
        int pos0 = cache.length();
        runLayers(cache, x, tokens.length, pos0, 0, exitLayer);
        cache.advanceTo(pos0 + tokens.length);
        return logits(x, tokens.length, allLogits, exitLayer);
    }

    /** Embedding rows of the tokens, one after another. */
    public float[] embed(int[] tokens) {
        float[] x = new float[tokens.length * c.dim()];
        for (int t = 0; t < tokens.length; t++) {
            int id = tokens[t];
            if (id < 0 || id >= c.vocabSize()) {
                throw new BadInputException("token id " + id + " is outside the model's vocabulary 0.." + (c.vocabSize() - 1));
            }
            Dequantize.row(w.tokenEmbedding, id, x, t * c.dim());
        }
        return x;
    }

    /**
     * Runs layers {@code fromLayer} .. {@code toLayer - 1} (0-based) on the hidden states {@code x}
     * of T tokens at positions pos0.., updating x in place and storing their keys and values.
     */
    public void runLayers(KVCache cache, float[] x, int T, int pos0, int fromLayer, int toLayer) {
        c.checkExitLayer(toLayer);
        if (pos0 + T > cache.capacity) {
            throw new BadInputException("sequence of " + (pos0 + T) + " tokens exceeds the KV cache of " + cache.capacity);
        }
        var buf = new LayerBuffers(c, T);
        float[] cosSin = new float[T * c.headDim()];
        for (int t = 0; t < T; t++) rope.angles(pos0 + t, cosSin, t * c.headDim());
        for (int l = fromLayer; l < toLayer; l++) {
            if (cache.filled(l) != pos0) {
                throw new IllegalStateException("layer " + (l + 1) + " has keys for " + cache.filled(l)
                        + " positions, expected " + pos0 + ": " + cache);
            }
            attention(l, cache, x, T, pos0, buf, cosSin);
            feedForward(l, x, T, buf);
            cache.markFilled(l, pos0 + T);
        }
    }

    /**
     * Fills layers {@code fromLayer}.. (0-based) of position {@code pos} with keys and values
     * projected from one hidden state {@code x} taken at an earlier exit, without running those
     * layers: CALM's state propagation for tokens that left early. Costs the K and V projections
     * (2 of a layer's 7 matrices) per layer, and is an approximation: later tokens see keys that
     * the full model would have computed from deeper states.
     */
    public void propagateState(KVCache cache, float[] x, int pos, int fromLayer) {
        int kvDim = c.kvDim();
        float[] normed = new float[c.dim()], k = new float[kvDim], v = new float[kvDim], cosSin = new float[c.headDim()];
        rope.angles(pos, cosSin, 0);
        for (int l = fromLayer; l < c.nLayers(); l++) {
            if (cache.filled(l) != pos) {
                throw new IllegalStateException("layer " + (l + 1) + " is not filled up to position " + pos + ": " + cache);
            }
            LlamaWeights.Layer layer = w.layers[l];
            Ops.rmsNorm(normed, x, layer.attnNorm(), 1, c.normEps());
            Matmul.apply(layer.wk(), normed, 1, k);
            Matmul.apply(layer.wv(), normed, 1, v);
            rope.rotate(k, 0, c.nKvHeads(), cosSin, 0);
            System.arraycopy(k, 0, cache.keys[l], pos * kvDim, kvDim);
            System.arraycopy(v, 0, cache.values[l], pos * kvDim, kvDim);
            cache.markFilled(l, pos + 1);
        }
    }

    /**
     * Exit {@code exit}'s final RMSNorm and head (the shared ones unless the exit has its own), for
     * the last token or for every token of the hidden states {@code x}.
     */
    public float[] logits(float[] x, int T, boolean allLogits, int exit) {
        int dim = c.dim();
        int n = allLogits ? T : 1;
        float[] last = allLogits ? x : java.util.Arrays.copyOfRange(x, (T - 1) * dim, T * dim);
        float[] normed = new float[n * dim];
        Ops.rmsNorm(normed, last, w.normFor(exit), n, c.normEps());
        float[] out = new float[n * c.vocabSize()];
        Matmul.apply(w.outputFor(exit), normed, n, out);
        return out;
    }

    /** Scratch space of one batched pass through a layer. */
    private static final class LayerBuffers {
        final float[] normed, q, k, v, attnOut, proj, gate, up;

        LayerBuffers(LlamaConfig c, int T) {
            normed = new float[T * c.dim()];
            q = new float[T * c.qDim()];
            k = new float[T * c.kvDim()];
            v = new float[T * c.kvDim()];
            attnOut = new float[T * c.qDim()];
            proj = new float[T * c.dim()];
            gate = new float[T * c.hiddenDim()];
            up = new float[T * c.hiddenDim()];
        }
    }

    private void attention(int l, KVCache cache, float[] x, int T, int pos0, LayerBuffers b, float[] cosSin) {
        LlamaWeights.Layer layer = w.layers[l];
        int headDim = c.headDim(), kvDim = c.kvDim(), qDim = c.qDim();
        Ops.rmsNorm(b.normed, x, layer.attnNorm(), T, c.normEps());
        Matmul.applyEach(new Tensor[] {layer.wq(), layer.wk(), layer.wv()}, b.normed, T, new float[][] {b.q, b.k, b.v});
        for (int t = 0; t < T; t++) {
            rope.rotate(b.q, t * qDim, c.nHeads(), cosSin, t * headDim);
            rope.rotate(b.k, t * kvDim, c.nKvHeads(), cosSin, t * headDim);
        }
        System.arraycopy(b.k, 0, cache.keys[l], pos0 * kvDim, T * kvDim);
        System.arraycopy(b.v, 0, cache.values[l], pos0 * kvDim, T * kvDim);

        float[] keys = cache.keys[l], values = cache.values[l];
        int headsPerKv = c.nHeads() / c.nKvHeads();
        float scale = (float) (1.0 / Math.sqrt(headDim));
        Parallel.forRange(T * c.nHeads(), 1, (from, to) -> {
            float[] scores = new float[pos0 + T];
            for (int item = from; item < to; item++) {
                int t = item / c.nHeads(), h = item % c.nHeads();
                int qOff = t * qDim + h * headDim, kvOff = (h / headsPerKv) * headDim;
                int visible = pos0 + t + 1; // causal: positions 0 .. pos0+t
                for (int p = 0; p < visible; p++) {
                    scores[p] = WeightRows.dot(b.q, qOff, keys, p * kvDim + kvOff, headDim) * scale;
                }
                Vec.softmax(scores, 0, visible);
                java.util.Arrays.fill(b.attnOut, qOff, qOff + headDim, 0f);
                for (int p = 0; p < visible; p++) {
                    Vec.axpy(scores[p], values, p * kvDim + kvOff, b.attnOut, qOff, headDim);
                }
            }
        });
        Matmul.apply(layer.wo(), b.attnOut, T, b.proj);
        Ops.addInPlace(x, b.proj, T * c.dim());
    }

    private void feedForward(int l, float[] x, int T, LayerBuffers b) {
        LlamaWeights.Layer layer = w.layers[l];
        Ops.rmsNorm(b.normed, x, layer.ffnNorm(), T, c.normEps());
        Matmul.applyEach(new Tensor[] {layer.gate(), layer.up()}, b.normed, T, new float[][] {b.gate, b.up});
        Vec.swiglu(b.gate, b.gate, b.up, 0, T * c.hiddenDim());
        Matmul.apply(layer.down(), b.gate, T, b.proj);
        Ops.addInPlace(x, b.proj, T * c.dim());
    }
}

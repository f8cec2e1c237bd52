package sortedllama.infer;

import java.util.Arrays;
import java.util.Map;
import sortedllama.model.KVCache;
import sortedllama.model.LlamaModel;
import sortedllama.tensor.Matmul;
import sortedllama.tensor.Vec;

/**
 * Instance-aware dynamic inference: each token runs the layers up to the first exit whose top
 * probability reaches its threshold ({@link ExitPolicy}), and is chosen from that exit's logits;
 * the last layer always accepts.
 *
 * <p>A token that left at exit e has no keys and values in layers e+1..L, which later tokens
 * attend to. Two ways to fill them ({@link KvFill}):
 * <ul>
 *   <li>RECOMPUTE (exact, default): the token's layer-e state is kept, and the first later token
 *       that goes deeper than e runs the missing layers for every lagging position together with its
 *       own, in one batched pass per layer. The cache then holds exactly what full-depth decoding of the same
 *       tokens would hold; skipped layers cost nothing until a deeper token needs them, and then
 *       cost a batched (weights read once) rather than a per-token pass.</li>
 *   <li>PROPAGATE (CALM's state copying): the exit state is copied upward and only each skipped
 *       layer's K and V projections are computed from it, at once: 2/7 of a layer's matrix work,
 *       approximate.</li>
 * </ul>
 */
public final class AdaptiveGenerator {
    public enum KvFill { RECOMPUTE, PROPAGATE }

    private final LlamaModel model;
    private final ExitPolicy policy;
    private final KvFill fill;

    public AdaptiveGenerator(LlamaModel model, ExitPolicy policy, KvFill fill) {
        for (int exit : policy.thresholds().keySet()) model.config().checkExitLayer(exit);
        this.model = model;
        this.policy = policy;
        this.fill = fill;
    }

    public Generator.Result generate(int[] prompt, int maxTokens, Sampler sampler, int eosId,
                                     Generator.TokenListener listener) {
        int layers = model.config().nLayers(), dim = model.config().dim();
        KVCache cache = model.newCache(TokenSink.cacheCapacity(model.config(), prompt, maxTokens));
        var sink = new TokenSink(maxTokens, eosId, listener);
        float[] exitStates = fill == KvFill.RECOMPUTE ? new float[cache.capacity() * dim] : null;
        long t0 = System.nanoTime();
        int next = sampler.sample(model.forward(cache, prompt, layers, false));
        long t1 = System.nanoTime();
        int depthOfNext = layers;
        while (!sink.emit(next, depthOfNext)) {
            int p = cache.length();
            if (p >= cache.capacity()) {
                sink.stopAtContextEnd();
                break;
            }
            float[] x = model.embed(new int[] {next});
            float[] chosen = null;
            int depth = 0;
            for (Map.Entry<Integer, Float> exit : policy.thresholds().entrySet()) {
                runLayers(cache, x, p, depth, exit.getKey(), exitStates);
                depth = exit.getKey();
                float[] logits = model.logits(x, 1, false, depth);
                if (topProbability(logits) >= exit.getValue()) {
                    chosen = logits;
                    break;
                }
            }
            if (chosen == null) {
                runLayers(cache, x, p, depth, layers, exitStates);
                depth = layers;
                chosen = model.logits(x, 1, false, layers);
            }
            if (depth < layers) {
                if (fill == KvFill.PROPAGATE) model.propagateState(cache, x, p, depth);
                else System.arraycopy(x, 0, exitStates, p * dim, dim);
            }
            cache.advanceTo(p + 1);
            depthOfNext = depth;
            next = sampler.sample(chosen);
        }
        return sink.result(t0, t1, Double.NaN);
    }

    /**
     * Runs layers [from, to) for position p, catching up positions that left early (RECOMPUTE) in
     * the same batched pass as p: the lagging positions and p are consecutive, so one pass per
     * layer reads its weights once for all of them. Batches stay below sgemm's range, where the
     * products are batch-invariant, so the caught-up keys and values are bit for bit those of
     * full-depth decoding.
     */
    private void runLayers(KVCache cache, float[] x, int p, int from, int to, float[] exitStates) {
        int dim = model.config().dim();
        for (int l = from; l < to; l++) {
            int lagging = cache.filled(l);
            if (exitStates == null || lagging == p) {
                model.runLayers(cache, x, 1, p, l, l + 1);
                continue;
            }
            System.arraycopy(x, 0, exitStates, p * dim, dim);
            for (int start = lagging; start <= p; ) {
                int count = Math.min(p + 1 - start, MAX_BATCH);
                float[] batch = Arrays.copyOfRange(exitStates, start * dim, (start + count) * dim);
                model.runLayers(cache, batch, count, start, l, l + 1);
                System.arraycopy(batch, 0, exitStates, start * dim, count * dim);
                start += count;
            }
            System.arraycopy(exitStates, p * dim, x, 0, dim);
        }
    }

    private static final int MAX_BATCH = Matmul.BLAS_MIN_TOKENS - 1;

    /** The largest softmax probability of the logits: the exit's confidence. */
    static float topProbability(float[] logits) {
        float[] shifted = logits.clone(); // the chosen exit's logits are sampled from afterwards
        return 1f / Vec.expShiftedAndSum(shifted, 0, shifted.length, Vec.max(shifted, 0, shifted.length));
    }
}

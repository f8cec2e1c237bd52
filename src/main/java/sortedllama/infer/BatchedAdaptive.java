package sortedllama.infer;

import sortedllama.model.LlamaModel;

/**
 * Instance-aware early exit in the batch ({@link AdaptiveGenerator} alone): each step the new token
 * goes up to the first exit whose confidence reaches its threshold and leaves the pass there. With
 * RECOMPUTE, positions that left early keep their exit states here, and the first later token that
 * goes deeper takes them along through the layers they skipped, in the same pass (they are rows of
 * this sequence from the layer they left at on); with PROPAGATE their keys and values are projected
 * from the exit state after the step. With an output constraint, the exit is still chosen by the
 * model's own confidence; the constraint masks the logits of that exit. With RECOMPUTE, a token whose
 * pass goes deeper for other requests anyway goes along and is decided when the pass's logits come
 * ({@link sortedllama.model.StepSequence#mayDecideLater}): its deeper layers are then filled now rather
 * than by a later token, and the pass reads the head once instead of once more at its exit.
 */
final class BatchedAdaptive extends BatchedGeneration {
    private final ExitPolicy policy;
    private final AdaptiveGenerator.KvFill fill;
    private final int layers, dim;
    /** RECOMPUTE: the state of every position, as it left its last layer; PROPAGATE: the new token's. */
    private float[] states;
    private int pos, depth;
    private float[] chosen;

    BatchedAdaptive(LlamaModel model, DecodePlan plan, int[] prompt, Sampler sampler, int maxTokens, int eosId, int topLogprobs) {
        super(model, prompt, model.config().nLayers(), sampler, maxTokens, eosId, topLogprobs);
        for (int exit : plan.policy().thresholds().keySet()) model.config().checkExitLayer(exit);
        this.policy = plan.policy();
        this.fill = plan.kvFill();
        this.layers = model.config().nLayers();
        this.dim = model.config().dim();
        if (fill == AdaptiveGenerator.KvFill.RECOMPUTE) states = new float[cache.capacity() * dim];
    }

    @Override
    void prepare() {
        pos = cache.length();
        float[] x = model.embed(new int[] {sink.last()});
        if (fill == AdaptiveGenerator.KvFill.RECOMPUTE) System.arraycopy(x, 0, states, pos * dim, dim);
        else states = x;
    }

    @Override
    boolean finish(long stepNanos) {
        if (depth < layers && fill == AdaptiveGenerator.KvFill.PROPAGATE) model.propagateState(cache, states, pos, depth);
        return emitNext(chosen, depth) || over();
    }

    @Override
    public int end() {
        return pos + 1;
    }

    @Override
    public float[] states() {
        return states;
    }

    @Override
    public int statesFrom() {
        return fill == AdaptiveGenerator.KvFill.RECOMPUTE ? 0 : pos;
    }

    @Override
    public int logitsAt(int exit) {
        return exit == layers || policy.thresholds().containsKey(exit) ? 1 : 0;
    }

    @Override
    public boolean mayStay(int exit) {
        return exit < layers;
    }

    /**
     * RECOMPUTE: going on with the pass past an exit it may leave at fills the deeper layers of its
     * positions with what the first later token that went deeper would compute for them (the same
     * states through the same layers), so it may decide when the logits come. PROPAGATE would then
     * copy its exit state over keys already computed from deeper states.
     */
    @Override
    public boolean mayDecideLater() {
        return fill == AdaptiveGenerator.KvFill.RECOMPUTE;
    }

    @Override
    public boolean exitWith(int exit, float[] logits) {
        if (exit < layers && AdaptiveGenerator.topProbability(logits) < policy.thresholds().get(exit)) return false;
        chosen = logits;
        depth = exit;
        return true;
    }
}

package sortedllama.infer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import sortedllama.model.KVCache;
import sortedllama.model.LlamaModel;
import sortedllama.model.StepSequence;

/**
 * One generation in the {@link ContinuousBatcher}: its prompt, cache, sampler and tokens, and how
 * it takes part in each batched step, which depends on how it decodes (a subclass per
 * {@link DecodePlan.Mode}). Before a step the batcher calls {@link #prepare}, the step runs it as a
 * {@link StepSequence}, and {@link #finish} then turns what the step left into tokens. Its fields
 * other than {@link #cancelled} and {@link #events} belong to the model thread.
 */
abstract sealed class BatchedGeneration implements StepSequence
        permits BatchedGeneration.FixedExit, BatchedAdaptive, BatchedSpeculative {

    /** A token, the end, or a failure, handed from the model thread to the caller's thread. */
    record Event(int token, TokenLogprobs logprobs, Generator.Result result, RuntimeException error) {}

    final LlamaModel model;
    final int[] prompt;
    /** The exit its prompt is prefilled to (its first token comes from there). */
    final int prefillExit;
    final Sampler sampler;
    final KVCache cache;
    final TokenSink sink;
    private final int topLogprobs;
    final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    volatile boolean cancelled;
    int prefilled;
    long prefillStart, prefillEnd;
    /** The generation whose prefill of the same prompt this one takes (null: it prefills itself). */
    BatchedGeneration leader;
    final List<BatchedGeneration> followers = new ArrayList<>();
    private TokenLogprobs logprobs; // of the token being emitted
    /** What the output may be (structured output), or null: any tokens. */
    OutputConstraint constraint;

    BatchedGeneration(LlamaModel model, int[] prompt, int prefillExit, Sampler sampler, int maxTokens, int eosId, int topLogprobs) {
        model.config().checkExitLayer(prefillExit);
        this.model = model;
        this.prompt = prompt;
        this.prefillExit = prefillExit;
        this.sampler = sampler;
        this.cache = model.newCache(TokenSink.cacheCapacity(model.config(), prompt, maxTokens));
        this.topLogprobs = topLogprobs;
        this.sink = new TokenSink(maxTokens, eosId, token -> events.add(new Event(token, logprobs, null, null)));
    }

    /**
     * The generation a plan makes in the batch; speculative ones plan their drafts with
     * {@code speculation}. A {@code constraint} (null: none) masks the logits each token is sampled
     * (or drafted, or verified) from.
     */
    static BatchedGeneration of(LlamaModel model, DecodePlan plan, SpeculationMemory speculation, int[] prompt, int maxTokens,
                                Sampler sampler, int eosId, int topLogprobs, OutputConstraint constraint) {
        BatchedGeneration g = switch (plan.mode()) {
            case FULL, EXIT -> new FixedExit(model, prompt, plan.exitLayer(), sampler, maxTokens, eosId, topLogprobs);
            case ADAPTIVE -> new BatchedAdaptive(model, plan, prompt, sampler, maxTokens, eosId, topLogprobs);
            case SPECULATIVE -> new BatchedSpeculative(model, plan, speculation, prompt, sampler, maxTokens, eosId, topLogprobs);
        };
        g.constraint = constraint;
        return g;
    }

    /** The first token, from the prompt's last logits; true when the generation is over. */
    final boolean start(float[] logits) {
        return emitNext(logits, prefillExit) || over();
    }

    /** Gets ready for the next step (the positions it feeds, their states). */
    abstract void prepare();

    /** Takes what the step computed ({@code stepNanos}: how long the step took); true when the generation is over. */
    abstract boolean finish(long stepNanos);

    /**
     * Samples the next token from {@code logits} of exit {@code depth}, among the tokens the
     * constraint allows, and emits it; true when the sink wants no more. Its log probabilities are
     * those of the distribution it was drawn from (with a constraint, the allowed tokens'), so a
     * greedy request that asks for them has the whole vocabulary masked rather than its argmax checked.
     */
    final boolean emitNext(float[] logits, int depth) {
        float[] from = restricted(constraint, logits);
        return emit(sampler.sample(from), from, depth);
    }

    /** {@code logits} as this generation samples from them in {@code state} of its constraint (null: unconstrained). */
    final float[] restricted(OutputConstraint state, float[] logits) {
        return state == null ? logits : state.restrict(logits, sampler.isGreedy() && topLogprobs < 0);
    }

    /** Emits a token chosen from {@code logits} of exit {@code depth}; true when the sink wants no more. */
    final boolean emit(int token, float[] logits, int depth) {
        if (constraint != null) constraint.accept(token);
        if (topLogprobs >= 0) logprobs = TokenLogprobs.of(logits, token, topLogprobs);
        return sink.emit(token, depth);
    }

    /** True when the generation is over: its sink is, or the context has no room for the next token. */
    final boolean over() {
        if (sink.done()) return true;
        if (cache.length() < cache.capacity()) return false;
        sink.stopAtContextEnd();
        return true;
    }

    /** Answers the caller with what it produced. */
    void answer() {
        events.add(new Event(0, null, sink.result(prefillStart, prefillEnd, acceptance()), null));
    }

    void fail(RuntimeException e) {
        events.add(new Event(0, null, null, e));
    }

    /** Fraction of drafts accepted (speculation), else NaN. */
    double acceptance() {
        return Double.NaN;
    }

    @Override
    public KVCache cache() {
        return cache;
    }

    /** A generation at one exit: one new position per step, leaving after its exit layer. */
    static final class FixedExit extends BatchedGeneration {
        private float[] state, logits;
        private int pos;

        FixedExit(LlamaModel model, int[] prompt, int exit, Sampler sampler, int maxTokens, int eosId, int topLogprobs) {
            super(model, prompt, exit, sampler, maxTokens, eosId, topLogprobs);
        }

        @Override
        void prepare() {
            pos = cache.length();
            state = model.embed(new int[] {sink.last()});
        }

        @Override
        boolean finish(long stepNanos) {
            return emitNext(logits, prefillExit) || over();
        }

        @Override
        public int end() {
            return pos + 1;
        }

        @Override
        public float[] states() {
            return state;
        }

        @Override
        public int statesFrom() {
            return pos;
        }

        @Override
        public int logitsAt(int exit) {
            return exit == prefillExit ? 1 : 0;
        }

        @Override
        public boolean exitWith(int exit, float[] logits) {
            this.logits = logits;
            return true;
        }
    }
}
